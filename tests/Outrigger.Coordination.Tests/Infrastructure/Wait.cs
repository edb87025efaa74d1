namespace Outrigger.Coordination.Tests.Infrastructure;

internal static class Wait
{
    public static readonly TimeSpan Long = TimeSpan.FromSeconds(20);

    /// <summary>Reads watch responses until at least <paramref name="count"/> events arrived (real-time timeout).</summary>
    public static async Task<List<WatchEvent>> EventsAsync(IWatch watch, int count, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Long);
        var events = new List<WatchEvent>();
        while (events.Count < count)
        {
            var response = await watch.ReadAsync(cts.Token);
            Assert.NotEmpty(response.Events);
            events.AddRange(response.Events);
        }

        return events;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds (real-time timeout).</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > (timeout ?? Long))
            {
                Assert.Fail($"timed out waiting until {what}");
            }

            await Task.Delay(20);
        }
    }
}
