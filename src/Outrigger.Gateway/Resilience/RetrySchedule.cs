namespace Outrigger.Gateway.Resilience;

/// <summary>
/// The retry delays: <c>base · 2ⁿ</c> before retry n (0-based), so with the default 100 ms attempts go at 0, 100, 200 and
/// 400 ms after each failure, each delay varied by ± <see cref="Jitter"/> of itself.
/// </summary>
internal sealed record RetrySchedule
{
    /// <summary>Attempts in all, the first included. Default 4.</summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>The first retry's delay; it doubles for each further retry. Default 100 ms.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Fraction (0..1) by which each delay is varied at random, both ways. Default 0.2.</summary>
    public double Jitter { get; init; } = 0.2;

    /// <summary>The delay before retry <paramref name="retry"/> (0 = the second attempt); <paramref name="random"/> is in [0, 1).</summary>
    public TimeSpan DelayBefore(int retry, double random)
    {
        var nominal = BaseDelay.TotalMilliseconds * Math.Pow(2, retry);
        var factor = 1 + (Jitter * ((2 * random) - 1));
        return TimeSpan.FromMilliseconds(nominal * factor);
    }
}
