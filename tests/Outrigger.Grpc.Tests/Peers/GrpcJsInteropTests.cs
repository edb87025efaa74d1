using Outrigger.Interop;

namespace Outrigger.Grpc.Tests.Peers;

/// <summary>Interop with Node @grpc/grpc-js (tests/Interop/node, npm ci), both directions.</summary>
public sealed class GrpcJsInteropTests(GrpcJsPeer peer) : IClassFixture<GrpcJsPeer>
{
    public static TheoryData<string> Cases => new(InteropClient.TestCases);

    public static TheoryData<string> TlsCases => new(PeerInterop.TlsCases);

    [PeerTheory(Peer.GrpcJs)]
    [MemberData(nameof(Cases))]
    public void GrpcJsClient_AgainstOurServer_Passes(string testCase) => peer.AssertPeerClientPassed(testCase, tls: false);

    [PeerTheory(Peer.GrpcJs)]
    [MemberData(nameof(Cases))]
    public Task OurClient_AgainstGrpcJsServer_Passes(string testCase) => peer.RunOurClientAsync(testCase, tls: false);

    [PeerTheory(Peer.GrpcJs)]
    [MemberData(nameof(TlsCases))]
    public void GrpcJsClient_AgainstOurTlsServer_Passes(string testCase) => peer.AssertPeerClientPassed(testCase, tls: true);

    [PeerTheory(Peer.GrpcJs)]
    [MemberData(nameof(TlsCases))]
    public Task OurClient_AgainstGrpcJsTlsServer_Passes(string testCase) => peer.RunOurClientAsync(testCase, tls: true);
}
