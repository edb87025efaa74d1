using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Outrigger.Discovery.Dns;

namespace Outrigger.Discovery.Tests.Dns;

public sealed class DnsDiscoveryTests
{
    [Fact]
    public async Task WatchAsync_RecordsChangeAfterTtl_YieldsTheNewSet()
    {
        using var dns = new Dnsmasq(1, "10.2.0.1 web.test");
        var discovery = new DnsDiscovery("web.test", 8080, 1, UdpDnsResolver.Create(dns.EndPoint), TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30), TimeProvider.System, NullLogger.Instance);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await using var watch = discovery.WatchAsync(cts.Token).GetAsyncEnumerator(cts.Token);

        Assert.True(await watch.MoveNextAsync());
        Assert.Equal(["10.2.0.1:8080"], watch.Current.Select(e => e.Authority));
        dns.SetRecords("10.2.0.1 web.test", "10.2.0.2 web.test");
        Assert.True(await watch.MoveNextAsync());

        Assert.Equal(["10.2.0.1:8080", "10.2.0.2:8080"], watch.Current.Select(e => e.Authority).Order());
    }

    [Fact]
    public async Task WatchAsync_ResolverFails_KeepsLastSetAndRetriesAfterMinRefresh()
    {
        var resolver = new ScriptedResolver();
        var time = new ManualClock();
        var discovery = new DnsDiscovery("web.test", 80, 1, resolver, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60), time, NullLogger.Instance);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var watch = discovery.WatchAsync(cts.Token).GetAsyncEnumerator(cts.Token);

        resolver.Next = new DnsAnswer([IPAddress.Parse("10.0.0.1")], TimeSpan.FromSeconds(30));
        Assert.True(await watch.MoveNextAsync());
        var next = watch.MoveNextAsync().AsTask();
        await resolver.WaitForCalls(1);

        resolver.Fail = true;
        await time.AdvanceWhenWaiting(TimeSpan.FromSeconds(30));
        await resolver.WaitForCalls(2);
        Assert.False(next.IsCompleted);

        resolver.Fail = false;
        resolver.Next = new DnsAnswer([IPAddress.Parse("10.0.0.2")], TimeSpan.FromSeconds(30));
        await time.AdvanceWhenWaiting(TimeSpan.FromSeconds(1));
        Assert.True(await next);
        Assert.Equal(["10.0.0.2:80"], watch.Current.Select(e => e.Authority));
        Assert.Equal(3, resolver.Calls);
    }

    private sealed class ScriptedResolver : IDnsResolver
    {
        private int _calls;

        public DnsAnswer Next { get; set; } = new([], null);

        public bool Fail { get; set; }

        public int Calls => Volatile.Read(ref _calls);

        public Task<DnsAnswer> ResolveAsync(string name, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            return Fail ? Task.FromException<DnsAnswer>(new DnsException("server failure")) : Task.FromResult(Next);
        }

        public async Task WaitForCalls(int count)
        {
            for (var i = 0; i < 500 && Calls < count; i++)
            {
                await Task.Delay(10);
            }

            Assert.True(Calls >= count, $"resolver called {Calls} times, expected {count}");
        }
    }

    /// <summary>A clock that moves only when told; <see cref="AdvanceWhenWaiting"/> first waits for a pending timer.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private readonly Lock _lock = new();
        private readonly List<(long Due, ITimer Timer, TimerCallback Callback, object? State)> _timers = [];
        private long _now;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _now);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new Timer(this);
            lock (_lock)
            {
                _timers.Add((_now + dueTime.Ticks, timer, callback, state));
            }

            return timer;
        }

        public async Task AdvanceWhenWaiting(TimeSpan by)
        {
            for (var i = 0; i < 500; i++)
            {
                lock (_lock)
                {
                    if (_timers.Count > 0)
                    {
                        break;
                    }
                }

                await Task.Delay(10);
            }

            List<(long Due, ITimer Timer, TimerCallback Callback, object? State)> due;
            lock (_lock)
            {
                _now += by.Ticks;
                due = _timers.Where(t => t.Due <= _now).ToList();
                _timers.RemoveAll(t => t.Due <= _now);
            }

            foreach (var timer in due)
            {
                timer.Callback(timer.State);
            }
        }

        private sealed class Timer(ManualClock clock) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => false;

            public void Dispose()
            {
                lock (clock._lock)
                {
                    clock._timers.RemoveAll(t => t.Timer == this);
                }
            }

            public ValueTask DisposeAsync()
            {
                Dispose();
                return ValueTask.CompletedTask;
            }
        }
    }
}
