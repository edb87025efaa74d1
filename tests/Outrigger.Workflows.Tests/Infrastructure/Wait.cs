namespace Outrigger.Workflows.Tests.Infrastructure;

internal static class Wait
{
    public static readonly TimeSpan Long = TimeSpan.FromSeconds(20);

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

    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, timeout);
}
