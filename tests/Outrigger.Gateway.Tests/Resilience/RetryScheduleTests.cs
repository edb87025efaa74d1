using Outrigger.Gateway.Resilience;

namespace Outrigger.Gateway.Tests.Resilience;

public sealed class RetryScheduleTests
{
    [Theory]
    [InlineData(0, 100)]
    [InlineData(1, 200)]
    [InlineData(2, 400)]
    public void DelayBefore_MiddleOfTheJitterRange_IsTheNominalDoubling(int retry, double expectedMs)
    {
        Assert.Equal(expectedMs, new RetrySchedule().DelayBefore(retry, 0.5).TotalMilliseconds, 6);
    }

    [Fact]
    public void DelayBefore_JitterExtremes_StayWithinTwentyPercent()
    {
        var schedule = new RetrySchedule();

        Assert.Equal(80, schedule.DelayBefore(0, 0).TotalMilliseconds, 6);
        Assert.InRange(schedule.DelayBefore(2, 0.999999).TotalMilliseconds, 479.99, 480);
    }

    [Fact]
    public void DelayBefore_NoJitter_IgnoresRandom()
    {
        var schedule = new RetrySchedule { Jitter = 0, BaseDelay = TimeSpan.FromMilliseconds(10) };

        Assert.Equal(40, schedule.DelayBefore(2, 0.9).TotalMilliseconds, 6);
    }
}
