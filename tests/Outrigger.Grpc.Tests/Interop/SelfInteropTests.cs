using Outrigger.Interop;

namespace Outrigger.Grpc.Tests.Interop;

/// <summary>Every interop case, our client against our server, over h2c and over TLS.</summary>
public sealed class SelfInteropTests
{
    public static TheoryData<string> Cases => new(InteropClient.TestCases);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Case_H2c_Passes(string testCase)
    {
        await using var server = await TestServer.StartInteropAsync();
        using var channel = server.CreateChannel();
        await new InteropClient(channel).RunAsync(testCase);
    }

    [Theory]
    [InlineData("large_unary")]
    [InlineData("ping_pong")]
    [InlineData("custom_metadata")]
    [InlineData("timeout_on_sleeping_server")]
    public async Task Case_Tls_Passes(string testCase)
    {
        await using var server = await TestServer.StartInteropAsync(tls: true);
        using var channel = server.CreateChannel();
        await new InteropClient(channel).RunAsync(testCase);
    }
}
