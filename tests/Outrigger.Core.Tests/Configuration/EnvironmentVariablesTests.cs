using Outrigger.Core.Configuration;

namespace Outrigger.Core.Tests.Configuration;

public sealed class EnvironmentVariablesTests
{
    private static readonly HashSet<string> AllModules = ["gateway", "conveyor", "workflows", "signals", "proxy"];

    [Fact]
    public void SpecVariable_OverridesFileValue_AndNamesTheVariableAsSource()
    {
        var root = YamlConfigParser.Parse("gateway:\n  batch_size: 4\n", "f.yaml");

        EnvironmentVariables.Apply(root, new Dictionary<string, string> { ["BATCH_SIZE"] = "9", ["LISTEN_ADDR"] = "0.0.0.0:6000" }, AllModules);

        var gateway = (ConfigMapping)root["gateway"]!;
        var batch = (ConfigScalar)gateway["batch_size"]!;
        Assert.Equal("9", batch.Value);
        Assert.Equal("environment variable BATCH_SIZE", batch.Source.ToString());
        Assert.Equal("0.0.0.0:6000", ((ConfigScalar)gateway["listen_addr"]!).Value);
    }

    [Fact]
    public void NonEnablingVariable_DoesNotCreateAbsentSection()
    {
        var root = YamlConfigParser.Parse("gateway: {}\n", "f.yaml");

        EnvironmentVariables.Apply(root, new Dictionary<string, string> { ["POD_NAME"] = "p-1", ["POD_IP"] = "10.0.0.5" }, AllModules);

        Assert.False(root.Contains("conveyor"));
        Assert.False(root.Contains("workflows"));
    }

    [Fact]
    public void EnablingVariable_CreatesSection_AndCompanionsApply()
    {
        var root = new ConfigMapping(ConfigSource.Default);

        EnvironmentVariables.Apply(root, new Dictionary<string, string> { ["CLUSTER_ENDPOINT"] = "router:50051", ["POD_NAME"] = "p-1", ["WARM_ORCHESTRATOR_ENDPOINT"] = "http://w:1" }, AllModules);

        var conveyor = (ConfigMapping)root["conveyor"]!;
        Assert.Equal("router:50051", ((ConfigScalar)conveyor["cluster_endpoint"]!).Value);
        Assert.Equal("p-1", ((ConfigScalar)conveyor["pod_name"]!).Value);
        Assert.False(root.Contains("gateway"));
    }

    [Fact]
    public void VariableOfUnregisteredModule_IsIgnored()
    {
        var root = YamlConfigParser.Parse("signals: {}\n", "f.yaml");

        EnvironmentVariables.Apply(root, new Dictionary<string, string> { ["AGGREGATOR_URL"] = "grpc://a:1" }, new HashSet<string> { "proxy" });

        Assert.Empty(((ConfigMapping)root["signals"]!).Keys);
    }

    [Fact]
    public void GenericVariable_SetsNestedKeysAndListItems_AndWinsOverSpecVariable()
    {
        var root = YamlConfigParser.Parse("proxy:\n  items: [a, b]\n", "f.yaml");

        EnvironmentVariables.Apply(
            root,
            new Dictionary<string, string>
            {
                ["OUTRIGGER_ADMIN__ADDRESS"] = "0.0.0.0:9999",
                ["OUTRIGGER_PROXY__ITEMS__1"] = "z",
                ["OUTRIGGER_GATEWAY__BATCH_SIZE"] = "2",
                ["BATCH_SIZE"] = "5",
            },
            AllModules);

        Assert.Equal("0.0.0.0:9999", ((ConfigScalar)((ConfigMapping)root["admin"]!)["address"]!).Value);
        var items = (ConfigSequence)((ConfigMapping)root["proxy"]!)["items"]!;
        Assert.Equal(["a", "z"], items.Items.Select(i => ((ConfigScalar)i).Value));
        Assert.Equal("2", ((ConfigScalar)((ConfigMapping)root["gateway"]!)["batch_size"]!).Value);
    }
}
