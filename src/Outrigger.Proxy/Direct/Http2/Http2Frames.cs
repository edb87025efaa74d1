using System.Buffers.Binary;

namespace Outrigger.Proxy.Direct.Http2;

/// <summary>HTTP/2 frame types (RFC 9113 §6).</summary>
internal enum FrameType : byte
{
    Data = 0x0,
    Headers = 0x1,
    Priority = 0x2,
    RstStream = 0x3,
    Settings = 0x4,
    PushPromise = 0x5,
    Ping = 0x6,
    GoAway = 0x7,
    WindowUpdate = 0x8,
    Continuation = 0x9,
}

/// <summary>HTTP/2 error codes (RFC 9113 §7).</summary>
internal enum Http2Error : uint
{
    NoError = 0x0,
    ProtocolError = 0x1,
    InternalError = 0x2,
    FlowControlError = 0x3,
    SettingsTimeout = 0x4,
    StreamClosed = 0x5,
    FrameSizeError = 0x6,
    RefusedStream = 0x7,
    Cancel = 0x8,
    CompressionError = 0x9,
    ConnectError = 0xa,
    EnhanceYourCalm = 0xb,
    InadequateSecurity = 0xc,
    Http11Required = 0xd,
}

/// <summary>Frame flags, setting identifiers and sizes of RFC 9113.</summary>
internal static class Http2Frames
{
    public const int HeaderLength = 9;
    public const int DefaultMaxFrameSize = 16_384;
    public const int MaxFrameSizeLimit = 16_777_215;
    public const int DefaultWindow = 65_535;
    public const int MaxWindow = int.MaxValue;

    public const byte EndStream = 0x1;
    public const byte Ack = 0x1;
    public const byte EndHeaders = 0x4;
    public const byte Padded = 0x8;
    public const byte PriorityFlag = 0x20;

    public const ushort HeaderTableSize = 0x1;
    public const ushort EnablePush = 0x2;
    public const ushort MaxConcurrentStreams = 0x3;
    public const ushort InitialWindowSize = 0x4;
    public const ushort MaxFrameSize = 0x5;
    public const ushort MaxHeaderListSize = 0x6;

    /// <summary>The client connection preface (RFC 9113 §3.4).</summary>
    public static ReadOnlySpan<byte> Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    /// <summary>The part of the preface an HTTP/1.1 head parser sees as a complete head.</summary>
    public static ReadOnlySpan<byte> PrefaceHead => "PRI * HTTP/2.0\r\n\r\n"u8;

    public static void WriteHeader(Span<byte> destination, int length, FrameType type, byte flags, int streamId)
    {
        destination[0] = (byte)(length >> 16);
        destination[1] = (byte)(length >> 8);
        destination[2] = (byte)length;
        destination[3] = (byte)type;
        destination[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(destination[5..], streamId & int.MaxValue);
    }
}

/// <summary>A frame's 9-byte header.</summary>
internal readonly record struct FrameHeader(int Length, FrameType Type, byte Flags, int StreamId)
{
    public static FrameHeader Read(ReadOnlySpan<byte> source) =>
        new((source[0] << 16) | (source[1] << 8) | source[2], (FrameType)source[3], source[4], BinaryPrimitives.ReadInt32BigEndian(source[5..]) & int.MaxValue);

    public bool Has(byte flag) => (Flags & flag) != 0;
}

/// <summary>A connection error (RFC 9113 §5.4.1): the connection ends with GOAWAY carrying <see cref="Code"/>.</summary>
internal sealed class Http2ConnectionException(Http2Error code, string message) : Exception(message)
{
    public Http2Error Code { get; } = code;
}
