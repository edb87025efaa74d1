using Outrigger.Coordination.Tests.Infrastructure;

namespace Outrigger.Coordination.Tests.Contract;

/// <summary>One real etcd member shared by the tests of <see cref="EtcdStoreContractTests"/> (each test uses its own prefix).</summary>
public sealed class EtcdFixture : IAsyncLifetime
{
    internal EtcdCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await EtcdCluster.StartAsync(1);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>The contract suite against a real etcd started on a free port; time passes for real.</summary>
public sealed class EtcdStoreContractTests(EtcdFixture fixture) : StoreContractTests, IClassFixture<EtcdFixture>
{
    protected override Task<ICoordinationStore> OpenStoreAsync() => Task.FromResult(fixture.Cluster.Client());

    protected override Task ElapseAsync(TimeSpan time) => Task.Delay(time);
}
