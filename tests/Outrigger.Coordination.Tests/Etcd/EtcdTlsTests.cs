using Outrigger.Coordination.Tests.Infrastructure;

namespace Outrigger.Coordination.Tests.Etcd;

/// <summary>The etcd backend over TLS against an etcd member that requires client certificates.</summary>
public sealed class EtcdTlsTests : IAsyncLifetime
{
    private readonly EtcdTlsFiles _tls = new();
    private EtcdCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await EtcdCluster.StartAsync(1, _tls);

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _tls.Dispose();
    }

    [Fact]
    public async Task ClientCertificate_AndPrivateCa_PutWatchAndGetWork()
    {
        await using var store = _cluster.Client();
        var watch = await store.WatchAsync(KeyRange.Prefix("/tls/"));
        await using var _ = watch;

        var put = await store.PutAsync("/tls/k", "secret");
        var events = await Wait.EventsAsync(watch, 1);

        Assert.Equal("secret", (await store.GetAsync("/tls/k"))!.ValueText);
        Assert.Equal(put.Revision, Assert.Single(events).Kv.ModRevision);
        Assert.StartsWith("https://", (await store.StatusAsync()).Endpoint, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoClientCertificate_IsRefused()
    {
        await using var store = _cluster.Client(requestTimeout: TimeSpan.FromSeconds(2), tls: new EtcdTlsFilesView(_tls.CaFile, null, null));

        var error = await Assert.ThrowsAnyAsync<CoordinationException>(() => store.GetAsync("/tls/k"));

        Assert.Equal(CoordinationError.Unavailable, error.Error);
    }

    [Fact]
    public async Task ServerSignedByAnUntrustedCa_IsRefused()
    {
        await using var store = _cluster.Client(requestTimeout: TimeSpan.FromSeconds(2), tls: new EtcdTlsFilesView(_tls.UntrustedCaFile, _tls.ClientCertFile, _tls.ClientKeyFile));

        var error = await Assert.ThrowsAnyAsync<CoordinationException>(() => store.GetAsync("/tls/k"));

        Assert.Equal(CoordinationError.Unavailable, error.Error);
    }
}
