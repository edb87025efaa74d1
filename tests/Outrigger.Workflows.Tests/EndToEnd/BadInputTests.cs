using System.Text.Json.Nodes;
using Outrigger.Workflows.Tests.Infrastructure;

namespace Outrigger.Workflows.Tests.EndToEnd;

/// <summary>
/// Bad input on the app stream of the <c>outrigger</c> binary, sent by a raw grpcio client (no SDK): each gets a
/// clear refusal, nothing is written, and other streams keep working.
/// </summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new("wf-bad");
    private SidecarNode _sidecar = null!;

    public async Task InitializeAsync()
    {
        _sidecar = new SidecarNode("node-a", _data.Path);
        await _sidecar.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _sidecar.DisposeAsync();
        _data.Dispose();
    }

    private async Task<JsonObject> RawAsync(params string[] args)
    {
        await using var client = ChildProcess.StartPython("raw_stream.py", ["--sidecar", $"127.0.0.1:{_sidecar.SidecarPort}", .. args]);
        return JsonNode.Parse(await client.WaitForLineAsync("{", TimeSpan.FromSeconds(60)))!.AsObject();
    }

    /// <summary>Two apps on one node register the same type: the one not running the instance is refused (not the owner's stream); the owner's oversized value is refused with the limit; its good value commits.</summary>
    [Fact]
    public async Task ProposalFromNonOwnerStream_Refused_OversizedValue_Refused_OwnerCommits()
    {
        var answer = await RawAsync("--sidecar", $"127.0.0.1:{_sidecar.SidecarPort}", "--node", _sidecar.NodeUrl, "--id", "raw-1", "non-owner");

        var refused = Assert.Single(answer["non_owner_errors"]!.AsArray())!;
        Assert.Equal("NOT_ASSIGNED", refused["code"]!.GetValue<string>());
        Assert.Contains("runs on another app stream of node node-a", refused["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("TOO_LARGE", answer["too_large"]!["code"]!.GetValue<string>());
        Assert.Contains("is 1048577 bytes, over the limit of 1048576 bytes (workflows.max_checkpoint_bytes)", answer["too_large"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(["c"], answer["committed"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("done", answer["result"]!["result"]!.GetValue<string>());
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
