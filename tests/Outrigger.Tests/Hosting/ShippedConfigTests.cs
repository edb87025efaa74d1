using Outrigger.Hosting;
using YamlDotNet.RepresentationModel;

namespace Outrigger.Tests.Hosting;

/// <summary>Configuration files shipped in deploy/ must stay valid as modules change.</summary>
public sealed class ShippedConfigTests
{
    [Fact]
    public void KubernetesConfigMap_OutriggerYaml_IsValid()
    {
        var manifest = Path.Combine(RepositoryRoot(), "deploy", "kubernetes", "sidecar-pod.yaml");
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(manifest)));
        var configMap = (YamlMappingNode)stream.Documents[0].RootNode;
        var data = (YamlMappingNode)configMap.Children[new YamlScalarNode("data")];
        var yaml = ((YamlScalarNode)data.Children[new YamlScalarNode("outrigger.yaml")]).Value!;
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, yaml);

            var configuration = SidecarConfiguration.Load(path, new Dictionary<string, string>(), Modules.All);

            Assert.Contains(configuration.Enabled, m => m.Definition.Name == "proxy");
            Assert.Equal("0.0.0.0:9901", configuration.Host.AdminAddress);
        }
        finally
        {
            File.Delete(path);
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
