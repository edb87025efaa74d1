using System.Text.Json.Nodes;
using Outrigger.Workflows.Tests.Infrastructure;

namespace Outrigger.Workflows.Tests.EndToEnd;

/// <summary>
/// Bad input on the app stream, sent by a raw grpcio client (no SDK): each gets a clear refusal, nothing is written,
/// and other streams keep working.
/// </summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new("wf-bad");
    private ModuleHost _host = null!;

    public async Task InitializeAsync() => _host = await ModuleHost.StartAsync(ModuleHost.Yaml("node-a", _data.Path), _data.Path);

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _data.Dispose();
    }

    private async Task<JsonObject> RawAsync(string @case)
    {
        await using var client = ChildProcess.StartPython("raw_stream.py", "--sidecar", _host.Module.SidecarEndPoint!.ToString(), @case);
        return JsonNode.Parse(await client.WaitForLineAsync("{"))!.AsObject();
    }

    [Fact]
    public async Task MalformedMessage_StreamEndsInternal_OtherStreamsKeepWorking()
    {
        var malformed = await RawAsync("garbage");
        var next = await RawAsync("unknown-result");

        Assert.Equal("INTERNAL", malformed["status"]!.GetValue<string>());
        Assert.Contains("Failed to deserialize the message", malformed["details"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("UNKNOWN_WORKFLOW", next["error"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task MessageOverStreamLimit_ResourceExhausted()
    {
        var huge = await RawAsync("huge");

        Assert.Equal("RESOURCE_EXHAUSTED", huge["status"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("unknown-result", "UNKNOWN_WORKFLOW", "no-such-workflow")]
    [InlineData("unknown-proposal", "UNKNOWN_WORKFLOW", "no workflow with this id was started")]
    [InlineData("empty", "INVALID_MESSAGE", "empty AppMessage")]
    public async Task RefusedMessage_StreamErrorWithReason(string @case, string code, string mentioned)
    {
        var answer = await RawAsync(@case);

        Assert.Equal("OK", answer["status"]!.GetValue<string>());
        Assert.Equal(code, answer["error"]!["code"]!.GetValue<string>());
        Assert.Contains(mentioned, answer["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
