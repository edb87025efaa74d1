using System.Diagnostics;
using Outrigger.Core.Telemetry;

namespace Outrigger.Core.Tests.Telemetry;

public sealed class TraceContextTests
{
    [Fact]
    public void TryParse_ValidTraceParent_RoundTripsThroughFormat()
    {
        const string header = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

        Assert.True(TraceContext.TryParse(header, "k=v", out var context));

        Assert.Equal("0af7651916cd43dd8448eb211c80319c", context.TraceId.ToHexString());
        Assert.Equal("k=v", context.TraceState);
        Assert.Equal(header, TraceContext.Format(context));
    }

    [Theory]
    [InlineData("")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331")]
    [InlineData("00-00000000000000000000000000000000-b7ad6b7169203331-01")]
    [InlineData("zz-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")]
    public void TryParse_Malformed_ReturnsFalse(string header) => Assert.False(TraceContext.TryParse(header, null, out _));

    [Fact]
    public void StartServerActivity_ContinuesCallersTrace_AndInjectWritesChildHeader()
    {
        using var source = new ActivitySource("Outrigger.TraceTest");
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s == source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        var headers = new Dictionary<string, string>();

        using (var activity = TraceContext.StartServerActivity(source, "op", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", null))
        {
            Assert.NotNull(activity);
            Assert.Equal("b7ad6b7169203331", activity.ParentSpanId.ToHexString());
            TraceContext.Inject(activity, (k, v) => headers[k] = v);
        }

        Assert.StartsWith("00-0af7651916cd43dd8448eb211c80319c-", headers["traceparent"], StringComparison.Ordinal);
        Assert.DoesNotContain("b7ad6b7169203331", headers["traceparent"], StringComparison.Ordinal);
    }
}
