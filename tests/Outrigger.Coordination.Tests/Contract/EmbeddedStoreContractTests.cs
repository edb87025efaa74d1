using Microsoft.Extensions.Logging.Abstractions;
using Outrigger.Coordination.Embedded;
using Outrigger.Coordination.Tests.Infrastructure;

namespace Outrigger.Coordination.Tests.Contract;

/// <summary>The contract suite against the embedded store on a temp directory, with a fake clock for leases.</summary>
public sealed class EmbeddedStoreContractTests : StoreContractTests, IDisposable
{
    private readonly TempDirectory _directory = new("contract");
    private readonly FakeTimeProvider _time = new();

    /// <summary>The step of <see cref="ElapseAsync"/>: a renewal may start one step later on the clock than the keeper planned.</summary>
    protected override TimeSpan TimerTolerance => TimeSpan.FromMilliseconds(100);

    protected override Task<ICoordinationStore> OpenStoreAsync() =>
        Task.FromResult(CoordinationStore.OpenEmbedded(new EmbeddedStoreOptions { Directory = _directory.Path }, _time, NullLoggerFactory.Instance));

    /// <summary>Advances the fake clock in small steps, yielding in between so background renewals and revokes run.</summary>
    protected override async Task ElapseAsync(TimeSpan time)
    {
        var step = TimeSpan.FromMilliseconds(100);
        for (var passed = TimeSpan.Zero; passed < time; passed += step)
        {
            _time.Advance(step);
            await Task.Delay(2);
        }
    }

    public void Dispose() => _directory.Dispose();
}
