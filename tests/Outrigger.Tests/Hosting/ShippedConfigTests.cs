using Outrigger.Hosting;
using YamlDotNet.RepresentationModel;

namespace Outrigger.Tests.Hosting;

/// <summary>Configuration files shipped in deploy/ must stay valid as modules change.</summary>
public sealed class ShippedConfigTests
{
    public static TheoryData<string> Manifests()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepositoryRoot(), "deploy", "kubernetes"), "*.yaml", SearchOption.AllDirectories))
        {
            data.Add(Path.GetRelativePath(RepositoryRoot(), file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Manifests))]
    public void ConfigMaps_OutriggerYaml_IsValid(string manifest)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(RepositoryRoot(), manifest))));
        foreach (var document in stream.Documents)
        {
            if (document.RootNode is YamlMappingNode root
                && root.Children.TryGetValue(new YamlScalarNode("data"), out var data)
                && ((YamlMappingNode)data).Children.TryGetValue(new YamlScalarNode("outrigger.yaml"), out var yaml))
            {
                var path = Path.GetTempFileName();
                try
                {
                    File.WriteAllText(path, ((YamlScalarNode)yaml).Value!);

                    var configuration = SidecarConfiguration.Load(path, new Dictionary<string, string>(), Modules.All);

                    Assert.NotEmpty(configuration.Enabled);
                    Assert.Equal("0.0.0.0:9901", configuration.Host.AdminAddress);
                }
                finally
                {
                    File.Delete(path);
                }
            }
        }
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Outrigger.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }
}
