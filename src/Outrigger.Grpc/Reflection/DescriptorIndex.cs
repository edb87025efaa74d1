using Google.Protobuf.Reflection;

namespace Outrigger.Grpc.Reflection;

/// <summary>Finds proto files by name, by fully-qualified symbol and by extension, over a set of files and their dependencies.</summary>
internal sealed class DescriptorIndex
{
    private readonly Dictionary<string, FileDescriptor> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FileDescriptor> _symbols = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MessageDescriptor> _messages = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Type, int Number), FileDescriptor> _extensions = [];

    public DescriptorIndex(IEnumerable<FileDescriptor> files)
    {
        foreach (var file in files)
        {
            foreach (var each in WithDependencies(file))
            {
                Add(each);
            }
        }
    }

    public FileDescriptor? FindFile(string name) => _files.GetValueOrDefault(name);

    public FileDescriptor? FindSymbol(string symbol) => _symbols.GetValueOrDefault(symbol.TrimStart('.'));

    public MessageDescriptor? FindMessage(string name) => _messages.GetValueOrDefault(name.TrimStart('.'));

    public FileDescriptor? FindExtension(string type, int number) => _extensions.GetValueOrDefault((type.TrimStart('.'), number));

    public IEnumerable<int> ExtensionNumbers(string type)
    {
        var name = type.TrimStart('.');
        foreach (var key in _extensions.Keys)
        {
            if (key.Type == name)
            {
                yield return key.Number;
            }
        }
    }

    /// <summary><paramref name="file"/> first, then its transitive dependencies, each once.</summary>
    public static IEnumerable<FileDescriptor> WithDependencies(FileDescriptor file)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<FileDescriptor>();
        pending.Enqueue(file);
        while (pending.TryDequeue(out var next))
        {
            if (!seen.Add(next.Name))
            {
                continue;
            }

            yield return next;
            foreach (var dependency in next.Dependencies)
            {
                pending.Enqueue(dependency);
            }
        }
    }

    private void Add(FileDescriptor file)
    {
        if (!_files.TryAdd(file.Name, file))
        {
            return;
        }

        foreach (var service in file.Services)
        {
            _symbols[service.FullName] = file;
            foreach (var method in service.Methods)
            {
                _symbols[method.FullName] = file;
            }
        }

        foreach (var message in file.MessageTypes)
        {
            AddMessage(file, message);
        }

        foreach (var enumType in file.EnumTypes)
        {
            _symbols[enumType.FullName] = file;
        }

        AddExtensions(file, file.Extensions.UnorderedExtensions);
    }

    private void AddMessage(FileDescriptor file, MessageDescriptor message)
    {
        _symbols[message.FullName] = file;
        _messages[message.FullName] = message;
        foreach (var field in message.Fields.InDeclarationOrder())
        {
            _symbols[field.FullName] = file;
        }

        foreach (var nested in message.NestedTypes)
        {
            AddMessage(file, nested);
        }

        foreach (var enumType in message.EnumTypes)
        {
            _symbols[enumType.FullName] = file;
        }

        AddExtensions(file, message.Extensions.UnorderedExtensions);
    }

    private void AddExtensions(FileDescriptor file, IEnumerable<FieldDescriptor> extensions)
    {
        foreach (var extension in extensions)
        {
            _symbols[extension.FullName] = file;
            _extensions[(extension.ExtendeeType.FullName, extension.FieldNumber)] = file;
        }
    }
}
