using Outrigger.Core.Configuration;

namespace Outrigger.Coordination.Tests;

public sealed class CoordinationOptionsTests
{
    [Fact]
    public void Read_NoSection_DefaultsToEmbeddedUnderTheDataDirectory()
    {
        var (options, errors) = Read("");

        Assert.Empty(errors);
        Assert.Equal(CoordinationOptions.EmbeddedBackend, options.Backend);
        Assert.Equal(Path.Combine("/var/data", "coordination"), options.Embedded.Directory);
        Assert.Equal(new Uri("http://127.0.0.1:2379"), Assert.Single(options.Etcd.Endpoints));
    }

    [Fact]
    public void Read_EtcdSection_ReadsEndpointsTlsAndTimeouts()
    {
        var (options, errors) = Read("""
            backend: etcd
            etcd:
              endpoints: [https://10.0.0.1:2379, https://10.0.0.2:2379]
              tls: { ca_file: /ca.pem, cert_file: /c.pem, key_file: /k.pem }
              request_timeout_ms: 3000
            """);

        Assert.Empty(errors);
        Assert.Equal(CoordinationOptions.EtcdBackend, options.Backend);
        Assert.Equal(2, options.Etcd.Endpoints.Count);
        Assert.Equal("/k.pem", options.Etcd.KeyFile);
        Assert.Equal(TimeSpan.FromSeconds(3), options.Etcd.RequestTimeout);
    }

    [Fact]
    public void Read_BadValues_ReportsEveryErrorWithItsKeyPath()
    {
        var (_, errors) = Read("""
            backend: zookeeper
            embedded: { snapshot_every: 0 }
            etcd:
              endpoints: [ftp://x, 127.0.0.1:2379]
              tls: { cert_file: /c.pem }
            """);

        var paths = errors.Select(e => e.Path).ToList();
        Assert.Contains("coordination.backend", paths);
        Assert.Contains("coordination.embedded.snapshot_every", paths);
        Assert.Equal(2, paths.Count(p => p == "coordination.etcd.endpoints"));
        Assert.Contains("coordination.etcd.tls.cert_file", paths);
    }

    private static (CoordinationOptions Options, IReadOnlyList<ConfigError> Errors) Read(string yaml)
    {
        var root = YamlConfigParser.Parse("coordination:\n" + string.Join('\n', yaml.Split('\n').Select(l => "  " + l)), "test.yaml");
        var session = new ConfigReadSession();
        var reader = session.Root(root, new ConfigOutline());
        var options = CoordinationOptions.Read(reader.Section("coordination", "test"), "/var/data");
        return (options, session.Errors);
    }
}
