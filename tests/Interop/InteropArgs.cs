using System.Globalization;

namespace Outrigger.Interop;

/// <summary>The standard interop flags (<c>--name=value</c>); flags this implementation does not use are ignored.</summary>
public sealed class InteropArgs
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public static InteropArgs Parse(IEnumerable<string> args)
    {
        var parsed = new InteropArgs();
        foreach (var arg in args)
        {
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Unexpected argument '{arg}'; flags look like --name=value.");
            }

            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? arg[2..] : arg[2..eq];
            parsed._values[name] = eq < 0 ? "true" : arg[(eq + 1)..];
        }

        return parsed;
    }

    public bool Has(string name) => _values.ContainsKey(name);

    public string Get(string name, string fallback) => _values.TryGetValue(name, out var value) ? value : fallback;

    public int GetInt(string name, int fallback) =>
        _values.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    public bool GetBool(string name) =>
        _values.TryGetValue(name, out var value) && (value == "true" || value == "1");
}
