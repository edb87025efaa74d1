namespace Outrigger.Grpc;

/// <summary>The outcome of a call: a code and a human-readable detail (sent as <c>grpc-message</c>).</summary>
public readonly record struct Status(StatusCode StatusCode, string Detail)
{
    public static readonly Status DefaultSuccess = new(StatusCode.OK, string.Empty);

    public static readonly Status DefaultCancelled = new(StatusCode.Cancelled, "Call cancelled.");

    public override string ToString() =>
        Detail.Length == 0 ? $"Status(StatusCode=\"{StatusCode}\")" : $"Status(StatusCode=\"{StatusCode}\", Detail=\"{Detail}\")";
}
