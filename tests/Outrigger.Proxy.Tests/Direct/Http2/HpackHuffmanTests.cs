using System.Text;
using Outrigger.Proxy.Direct.Http2;
using Xunit;

namespace Outrigger.Proxy.Tests.Direct.Http2;

public class HpackHuffmanTests
{
    private static byte[] Hex(string dump) => Convert.FromHexString(dump.Replace(" ", "", StringComparison.Ordinal));

    private static byte[] Encode(ReadOnlySpan<byte> src)
    {
        var dest = new byte[HpackHuffman.EncodedLength(src)];
        Assert.Equal(dest.Length, HpackHuffman.Encode(src, dest));
        return dest;
    }

    private static byte[] Decode(ReadOnlySpan<byte> src)
    {
        var dest = new byte[src.Length * 8 / 5];
        var written = HpackHuffman.Decode(src, dest);
        Assert.True(written >= 0);
        return dest[..written];
    }

    // The Huffman-coded strings of RFC 7541 Appendix C.4 and C.6.
    [Theory]
    [InlineData("www.example.com", "f1e3 c2e5 f23a 6ba0 ab90 f4ff")]
    [InlineData("no-cache", "a8eb 1064 9cbf")]
    [InlineData("custom-key", "25a8 49e9 5ba9 7d7f")]
    [InlineData("custom-value", "25a8 49e9 5bb8 e8b4 bf")]
    [InlineData("302", "6402")]
    [InlineData("307", "640e ff")]
    [InlineData("private", "aec3 771a 4b")]
    [InlineData("Mon, 21 Oct 2013 20:13:21 GMT", "d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff")]
    [InlineData("Mon, 21 Oct 2013 20:13:22 GMT", "d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff")]
    [InlineData("https://www.example.com", "9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3")]
    [InlineData("gzip", "9bd9 ab")]
    [InlineData(
        "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
        "94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07")]
    public void EncodeDecode_RfcExamples_MatchAppendixC(string text, string dump)
    {
        var plain = Encoding.ASCII.GetBytes(text);
        var coded = Hex(dump);

        Assert.Equal(coded.Length, HpackHuffman.EncodedLength(plain));
        Assert.Equal(coded, Encode(plain));
        Assert.Equal(plain, Decode(coded));
    }

    // The first and last code of every code length in RFC 7541 Appendix B (hex aligned to LSB, length in bits).
    [Theory]
    [InlineData(48, 0x0u, 5)]
    [InlineData(116, 0x9u, 5)]
    [InlineData(32, 0x14u, 6)]
    [InlineData(117, 0x2du, 6)]
    [InlineData(58, 0x5cu, 7)]
    [InlineData(122, 0x7bu, 7)]
    [InlineData(38, 0xf8u, 8)]
    [InlineData(90, 0xfdu, 8)]
    [InlineData(33, 0x3f8u, 10)]
    [InlineData(63, 0x3fcu, 10)]
    [InlineData(39, 0x7fau, 11)]
    [InlineData(124, 0x7fcu, 11)]
    [InlineData(35, 0xffau, 12)]
    [InlineData(62, 0xffbu, 12)]
    [InlineData(0, 0x1ff8u, 13)]
    [InlineData(126, 0x1ffdu, 13)]
    [InlineData(94, 0x3ffcu, 14)]
    [InlineData(125, 0x3ffdu, 14)]
    [InlineData(60, 0x7ffcu, 15)]
    [InlineData(123, 0x7ffeu, 15)]
    [InlineData(92, 0x7fff0u, 19)]
    [InlineData(208, 0x7fff2u, 19)]
    [InlineData(128, 0xfffe6u, 20)]
    [InlineData(226, 0xfffedu, 20)]
    [InlineData(153, 0x1fffdcu, 21)]
    [InlineData(230, 0x1fffe8u, 21)]
    [InlineData(129, 0x3fffd2u, 22)]
    [InlineData(233, 0x3fffebu, 22)]
    [InlineData(1, 0x7fffd8u, 23)]
    [InlineData(239, 0x7ffff4u, 23)]
    [InlineData(9, 0xffffeau, 24)]
    [InlineData(237, 0xfffff5u, 24)]
    [InlineData(199, 0x1ffffecu, 25)]
    [InlineData(235, 0x1ffffefu, 25)]
    [InlineData(192, 0x3ffffe0u, 26)]
    [InlineData(255, 0x3ffffeeu, 26)]
    [InlineData(203, 0x7ffffdeu, 27)]
    [InlineData(254, 0x7fffff0u, 27)]
    [InlineData(2, 0xfffffe2u, 28)]
    [InlineData(249, 0xffffffeu, 28)]
    [InlineData(10, 0x3ffffffcu, 30)]
    [InlineData(22, 0x3ffffffeu, 30)]
    public void Encode_SingleSymbol_MatchesAppendixB(int symbol, uint code, int length)
    {
        var padded = (length + 7) / 8 * 8;
        var expected = ((ulong)code << (padded - length)) | ((1UL << (padded - length)) - 1);
        var bytes = new byte[padded / 8];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(expected >> (8 * (bytes.Length - 1 - i)));
        }

        Assert.Equal(bytes, Encode([(byte)symbol]));
        Assert.Equal([(byte)symbol], Decode(bytes));
    }

    [Fact]
    public void CodeLengths_FormACompletePrefixCode()
    {
        // Eight copies of a byte encode to exactly its code length in bytes. With EOS (30 bits), the lengths
        // of a complete code satisfy Kraft's equality: the sum of 2^-length is 1.
        long kraft = 1; // EOS, in units of 2^-30
        for (var symbol = 0; symbol < 256; symbol++)
        {
            var length = HpackHuffman.EncodedLength(Enumerable.Repeat((byte)symbol, 8).ToArray());
            Assert.InRange(length, 5, 30);
            kraft += 1L << (30 - length);
        }

        Assert.Equal(1L << 30, kraft);
    }

    [Fact]
    public void RoundTrip_AllByteValues()
    {
        var all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();

        Assert.Equal(all, Decode(Encode(all)));
        foreach (var b in all)
        {
            Assert.Equal([b], Decode(Encode([b])));
        }
    }

    [Fact]
    public void RoundTrip_RandomStrings()
    {
        var random = new Random(7541);
        for (var i = 0; i < 500; i++)
        {
            var text = new byte[random.Next(0, 200)];
            random.NextBytes(text);
            if (i % 2 == 0)
            {
                // Mostly header-like printable ASCII, where the short codes are.
                for (var j = 0; j < text.Length; j++)
                {
                    text[j] = (byte)(0x20 + (text[j] % 0x5f));
                }
            }

            Assert.Equal(text, Decode(Encode(text)));
        }
    }

    [Fact]
    public void Decode_Empty_ReturnsZero()
    {
        Assert.Equal(0, HpackHuffman.Decode([], []));
        Assert.Equal(0, HpackHuffman.Encode([], []));
        Assert.Equal(0, HpackHuffman.EncodedLength([]));
    }

    [Theory]
    [InlineData("ffff fffc 1f")] // EOS, '0', padding
    [InlineData("1fff ffff ff")] // 'a', EOS, 5 bits of padding
    public void Decode_Eos_Throws(string dump)
    {
        var error = Assert.Throws<HpackException>(() => HpackHuffman.Decode(Hex(dump), new byte[16]));

        Assert.Contains("EOS", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("18")] // 'a' + 000
    [InlineData("1e")] // 'a' + 110
    [InlineData("1fff")] // 'a' + 11 ones
    [InlineData("ff")] // 8 ones
    [InlineData("fffe")] // part of a 23-bit code, then the data ends
    [InlineData("f1e3 c2e5 f23a 6ba0 ab90 f4fe")] // www.example.com with the last padding bit cleared
    public void Decode_BadPadding_Throws(string dump)
    {
        var error = Assert.Throws<HpackException>(() => HpackHuffman.Decode(Hex(dump), new byte[32]));

        Assert.Contains("padding", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_DestTooSmall_MinusOne()
    {
        var coded = Hex("f1e3 c2e5 f23a 6ba0 ab90 f4ff"); // www.example.com

        Assert.Equal(-1, HpackHuffman.Decode(coded, new byte[14]));
        Assert.Equal(15, HpackHuffman.Decode(coded, new byte[15]));
    }

    [Fact]
    public void Encode_DestTooSmall_MinusOne()
    {
        var plain = "www.example.com"u8;

        for (var size = 0; size < 12; size++)
        {
            Assert.Equal(-1, HpackHuffman.Encode(plain, new byte[size]));
        }

        Assert.Equal(12, HpackHuffman.Encode(plain, new byte[12]));
    }
}
