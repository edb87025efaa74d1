using Outrigger.Core.Configuration;
using Outrigger.Gateway.Configuration;
using Outrigger.Gateway.Orchestrator;

namespace Outrigger.Gateway.Tests.Configuration;

public sealed class GatewayOptionsReaderTests
{
    [Fact]
    public void Read_EmptySection_GivesTheSpecDefaults()
    {
        var (options, errors) = Read("gateway: {}\n");

        Assert.Empty(errors);
        Assert.Equal("0.0.0.0:50051", options.ListenAddress);
        Assert.Equal(8, options.BatchSize);
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.BatchTimeout);
        Assert.Equal("http://localhost:50052", options.Orchestrator.Endpoint);
        Assert.Equal(4, options.Resilience.Retry.MaxAttempts);
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.Resilience.Retry.BaseDelay);
        Assert.Equal(5, options.Resilience.CircuitBreaker.FailureThreshold);
        Assert.Equal(TimeSpan.FromSeconds(60), options.Resilience.CircuitBreaker.BreakDuration);
        Assert.Equal(1, options.Resilience.CircuitBreaker.SuccessThreshold);
        Assert.Null(options.Tls);
    }

    [Fact]
    public void Read_SpecEnvironmentVariables_OverrideTheFile()
    {
        var env = new Dictionary<string, string>
        {
            ["LISTEN_ADDR"] = "127.0.0.1:6001",
            ["WARM_ORCHESTRATOR_ENDPOINT"] = "http://knhk-warm:50052",
            ["BATCH_SIZE"] = "4",
            ["BATCH_TIMEOUT_MS"] = "250",
        };

        var (options, errors) = Read("gateway:\n  batch_size: 2\n", env);

        Assert.Empty(errors);
        Assert.Equal("127.0.0.1:6001", options.ListenAddress);
        Assert.Equal("http://knhk-warm:50052", options.Orchestrator.Endpoint);
        Assert.Equal(4, options.BatchSize);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.BatchTimeout);
    }

    [Theory]
    [InlineData("9")]
    [InlineData("0")]
    [InlineData("-1")]
    public void Read_BatchSizeOutsideTheGuard_FailsNamingTheGuardAndTheVariable(string value)
    {
        var (_, errors) = Read("gateway: {}\n", new Dictionary<string, string> { ["BATCH_SIZE"] = value });

        var error = Assert.Single(errors);
        Assert.Equal("gateway.batch_size", error.Path);
        Assert.Contains($"{value} violates the batch size guard: batch_size must be between 1 and 8", error.Message, StringComparison.Ordinal);
        Assert.Contains("environment variable BATCH_SIZE", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Read_BadValues_AreAllReportedWithTheirKeys()
    {
        var (_, errors) = Read("gateway:\n  batch_size: eight\n  listen_addr: nowhere\n  orchestrator:\n    endpoint: ftp://x\n    tls:\n      cert_file: /nonexistent.pem\n  retry:\n    jitter: 2\n");

        Assert.Equal(
            ["gateway.batch_size", "gateway.listen_addr", "gateway.orchestrator.endpoint", "gateway.orchestrator.tls.cert_file", "gateway.orchestrator.tls.key_file", "gateway.retry.jitter"],
            errors.Select(e => e.Path).Order(StringComparer.Ordinal).Distinct());
    }

    [Fact]
    public void Read_ListenerTlsWithoutKey_Fails()
    {
        var cert = Path.GetTempFileName();
        try
        {
            var (_, errors) = Read($"gateway:\n  tls:\n    cert_file: {cert}\n");

            var error = Assert.Single(errors);
            Assert.Equal("gateway.tls.key_file", error.Path);
            Assert.Contains("both cert_file and key_file are required", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(cert);
        }
    }

    [Fact]
    public void OrchestratorOptions_Read_DefaultsAndOverrides()
    {
        var session = new ConfigReadSession();
        var root = YamlConfigParser.Parse("orchestrator:\n  data_dir: /var/lib/knhk\n  max_query_results: 50\n", "test.yaml");

        var options = OrchestratorOptions.Read(session.Root(root, new ConfigOutline()));

        Assert.Empty(session.Errors);
        Assert.Equal("0.0.0.0:50052", options.Listen);
        Assert.Equal("/var/lib/knhk", options.DataDirectory);
        Assert.Equal(50, options.MaxQueryResults);
    }

    private static (GatewayOptions Options, IReadOnlyList<ConfigError> Errors) Read(string yaml, Dictionary<string, string>? env = null)
    {
        var root = YamlConfigParser.Parse(yaml, "test.yaml");
        EnvironmentVariables.Apply(root, env ?? [], new HashSet<string> { "gateway" });
        var session = new ConfigReadSession();
        var options = (GatewayOptions)new GatewayModuleDefinition().ReadOptions(session.Root(root, new ConfigOutline()));
        session.ReportUnknownKeys();
        return (options, session.Errors);
    }
}
