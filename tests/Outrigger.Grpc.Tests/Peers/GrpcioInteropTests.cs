using Outrigger.Interop;

namespace Outrigger.Grpc.Tests.Peers;

/// <summary>Interop with Python grpcio (Debian python3-grpcio at /usr/bin/python3), both directions.</summary>
public sealed class GrpcioInteropTests(GrpcioPeer peer) : IClassFixture<GrpcioPeer>
{
    public static TheoryData<string> Cases => new(InteropClient.TestCases);

    public static TheoryData<string> TlsCases => new(PeerInterop.TlsCases);

    [PeerTheory(Peer.Grpcio)]
    [MemberData(nameof(Cases))]
    public void GrpcioClient_AgainstOurServer_Passes(string testCase) => peer.AssertPeerClientPassed(testCase, tls: false);

    [PeerTheory(Peer.Grpcio)]
    [MemberData(nameof(Cases))]
    public Task OurClient_AgainstGrpcioServer_Passes(string testCase) => peer.RunOurClientAsync(testCase, tls: false);

    [PeerTheory(Peer.Grpcio)]
    [MemberData(nameof(TlsCases))]
    public void GrpcioClient_AgainstOurTlsServer_Passes(string testCase) => peer.AssertPeerClientPassed(testCase, tls: true);

    [PeerTheory(Peer.Grpcio)]
    [MemberData(nameof(TlsCases))]
    public Task OurClient_AgainstGrpcioTlsServer_Passes(string testCase) => peer.RunOurClientAsync(testCase, tls: true);
}
