using System.Text.Json.Nodes;
using Outrigger.Core.Configuration;
using Outrigger.Core.Hosting;

namespace Outrigger.Tests;

/// <summary>A module for host tests: a few typed keys, a secret, and readiness the test controls.</summary>
internal sealed class TestModuleDefinition(string name, bool enabledByDefault = true) : IModuleDefinition
{
    public string Name { get; } = name;

    public bool EnabledByDefault { get; } = enabledByDefault;

    public TestModule? Created { get; private set; }

    public object ReadOptions(ConfigReader root)
    {
        var section = root.Section(Name, "A test module.");
        return new TestOptions(
            section.Address("listen_addr", "0.0.0.0:50051", "Listen address."),
            section.Int("batch_size", 8, "Batch size (guard 1..8).", min: 1, max: 8),
            section.String("token", "", "A secret.", secret: true));
    }

    public IModule Create(object options, ModuleContext context)
    {
        Created = new TestModule(Name, (TestOptions)options, context);
        return Created;
    }
}

internal sealed record TestOptions(string ListenAddr, int BatchSize, string Token);

internal sealed class TestModule(string name, TestOptions options, ModuleContext context) : IModule
{
    public string Name { get; } = name;

    public TestOptions Options { get; } = options;

    public ModuleContext Context { get; } = context;

    public volatile bool Ready = true;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ModuleHealth GetHealth() => Ready
        ? new ModuleHealth(true, Detail: new JsonObject { ["upstream"] = "reachable" })
        : new ModuleHealth(false, "waiting for the test");

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
