using System.Text;
using Outrigger.Proxy.Direct.Http2;
using Xunit;

namespace Outrigger.Proxy.Tests.Direct.Http2;

public class HpackEncoderTests
{
    private static List<(string Name, string Value)> RoundTrip(ReadOnlySpan<byte> block, HpackDecoder? decoder = null)
    {
        var fields = new Fields();
        (decoder ?? new HpackDecoder()).Decode(block, fields);
        return fields.List;
    }

    private static byte[] Field(string name, string value)
    {
        var dest = new byte[HpackEncoder.MaxFieldLength(name.Length, value.Length)];
        var written = HpackEncoder.WriteField(Encoding.ASCII.GetBytes(name), Encoding.ASCII.GetBytes(value), dest);
        Assert.True(written > 0);
        return dest[..written];
    }

    [Theory]
    [InlineData(200, 0x88)]
    [InlineData(204, 0x89)]
    [InlineData(206, 0x8a)]
    [InlineData(304, 0x8b)]
    [InlineData(400, 0x8c)]
    [InlineData(404, 0x8d)]
    [InlineData(500, 0x8e)]
    public void WriteStatus_StaticStatus_SingleIndexedByte(int status, byte expected)
    {
        var dest = new byte[8];

        Assert.Equal(1, HpackEncoder.WriteStatus(status, dest));
        Assert.Equal(expected, dest[0]);
        Assert.Equal((":status", status.ToString(System.Globalization.CultureInfo.InvariantCulture)), Assert.Single(RoundTrip(dest.AsSpan(0, 1))));
    }

    [Theory]
    [InlineData(503)]
    [InlineData(100)]
    [InlineData(302)]
    [InlineData(999)]
    public void WriteStatus_OtherStatus_LiteralWithIndexedName(int status)
    {
        var dest = new byte[8];
        var decoder = new HpackDecoder();

        var written = HpackEncoder.WriteStatus(status, dest);

        var digits = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal([0x08, 0x03, (byte)digits[0], (byte)digits[1], (byte)digits[2]], dest[..written]);
        Assert.Equal((":status", digits), Assert.Single(RoundTrip(dest.AsSpan(0, written), decoder)));
        Assert.Equal(0, decoder.DynamicTableSize);
    }

    [Fact]
    public void WriteStatus_DestTooSmall_MinusOne()
    {
        Assert.Equal(-1, HpackEncoder.WriteStatus(200, []));
        Assert.Equal(-1, HpackEncoder.WriteStatus(503, new byte[4]));
        Assert.Equal(5, HpackEncoder.WriteStatus(503, new byte[5]));
    }

    [Theory]
    [InlineData(99)]
    [InlineData(1000)]
    public void WriteStatus_NotThreeDigits_Throws(int status)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => HpackEncoder.WriteStatus(status, new byte[8]));
    }

    [Theory]
    [InlineData(":authority", new byte[] { 0x01 })]
    [InlineData("age", new byte[] { 0x0f, 0x06 })] // 21 = 15 + 6
    [InlineData("content-type", new byte[] { 0x0f, 0x10 })] // 31
    [InlineData("Content-Type", new byte[] { 0x0f, 0x10 })]
    [InlineData("SET-COOKIE", new byte[] { 0x0f, 0x28 })] // 55
    [InlineData("www-authenticate", new byte[] { 0x0f, 0x2e })] // 61
    public void WriteField_StaticName_WritesIndex(string name, byte[] prefix)
    {
        var block = Field(name, "v");

        Assert.Equal([.. prefix, 0x01, (byte)'v'], block);
        Assert.Equal((name.ToLowerInvariant(), "v"), Assert.Single(RoundTrip(block)));
    }

    [Fact]
    public void WriteField_EveryStaticName_UsesItsFirstIndex()
    {
        for (var index = 1; index <= HpackStaticTable.Count; index++)
        {
            var name = Encoding.ASCII.GetString(HpackStaticTable.Name(index));
            var first = index;
            while (first > 1 && Encoding.ASCII.GetString(HpackStaticTable.Name(first - 1)) == name)
            {
                first--;
            }

            var block = Field(name.ToUpperInvariant(), "x");

            var expectedPrefix = first < 15 ? new[] { (byte)first } : [0x0f, (byte)(first - 15)];
            Assert.Equal(expectedPrefix, block[..expectedPrefix.Length]);
            Assert.Equal((name, "x"), Assert.Single(RoundTrip(block)));
        }
    }

    [Fact]
    public void WriteField_UnknownMixedCaseName_LiteralLowercased()
    {
        var block = Field("X-Custom-Header", "Some Value");

        Assert.Equal([0x00, 0x0f, .. "x-custom-header"u8, 0x0a, .. "Some Value"u8], block);
        Assert.Equal(("x-custom-header", "Some Value"), Assert.Single(RoundTrip(block)));
    }

    [Fact]
    public void WriteField_NameLikeStaticButLonger_Literal()
    {
        var block = Field("content-types", "a");

        Assert.Equal(0x00, block[0]);
        Assert.Equal(("content-types", "a"), Assert.Single(RoundTrip(block)));
    }

    [Fact]
    public void WriteField_LongValue_MultiByteLength()
    {
        var value = new string('z', 300);

        var block = Field("x-long", value);

        Assert.Equal([0x00, 0x06, .. "x-long"u8, 0x7f, 0xad, 0x01], block[..11]);
        Assert.Equal(("x-long", value), Assert.Single(RoundTrip(block)));
    }

    [Fact]
    public void WriteField_SeveralFields_DecodeInOrderWithoutIndexing()
    {
        var decoder = new HpackDecoder();
        var block = new List<byte>();
        var dest = new byte[16];
        block.AddRange(dest[..HpackEncoder.WriteStatus(404, dest)]);
        block.AddRange(Field("Content-Type", "text/plain"));
        block.AddRange(Field("Content-Length", "0"));
        block.AddRange(Field("X-Upstream", "b"));
        block.AddRange(Field("empty", ""));

        var fields = RoundTrip(block.ToArray(), decoder);

        Assert.Equal([(":status", "404"), ("content-type", "text/plain"), ("content-length", "0"), ("x-upstream", "b"), ("empty", "")], fields);
        Assert.Equal(0, decoder.DynamicTableSize);
    }

    [Theory]
    [InlineData("content-type", "text/html; charset=utf-8")]
    [InlineData("X-Unknown", "1")]
    [InlineData("x", "")]
    public void WriteField_DestTooSmall_MinusOneForEveryShortLength(string name, string value)
    {
        var needed = Field(name, value).Length;
        var nameBytes = Encoding.ASCII.GetBytes(name);
        var valueBytes = Encoding.ASCII.GetBytes(value);

        for (var size = 0; size < needed; size++)
        {
            Assert.Equal(-1, HpackEncoder.WriteField(nameBytes, valueBytes, new byte[size]));
        }

        Assert.Equal(needed, HpackEncoder.WriteField(nameBytes, valueBytes, new byte[needed]));
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(126, 126)]
    [InlineData(127, 127)]
    [InlineData(128, 254)]
    [InlineData(300, 16511)]
    [InlineData(200, 70000)]
    public void MaxFieldLength_UnknownName_IsExact(int nameLength, int valueLength)
    {
        var name = new string('n', nameLength);
        var value = new string('v', valueLength);

        Assert.Equal(HpackEncoder.MaxFieldLength(nameLength, valueLength), Field(name, value).Length);
    }

    [Fact]
    public void MaxFieldLength_StaticName_IsEnough()
    {
        Assert.True(Field("age", "1").Length <= HpackEncoder.MaxFieldLength(3, 1));
        Assert.True(Field(":path", "").Length <= HpackEncoder.MaxFieldLength(5, 0));
    }

    private sealed class Fields : IHpackHandler
    {
        public List<(string Name, string Value)> List { get; } = [];

        public void OnField(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) => List.Add((Encoding.ASCII.GetString(name), Encoding.ASCII.GetString(value)));
    }
}
