using System.Text;
using Outrigger.Proxy.Direct.Http2;
using Xunit;

namespace Outrigger.Proxy.Tests.Direct.Http2;

public class HpackDecoderTests
{
    private const string Date21 = "Mon, 21 Oct 2013 20:13:21 GMT";
    private const string Date22 = "Mon, 21 Oct 2013 20:13:22 GMT";
    private const string Location = "https://www.example.com";
    private const string Cookie = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";

    private static byte[] Hex(string dump) => Convert.FromHexString(dump.Replace(" ", "", StringComparison.Ordinal));

    private static List<(string Name, string Value)> Decode(HpackDecoder decoder, string dump)
    {
        var fields = new Fields();
        decoder.Decode(Hex(dump), fields);
        return fields.List;
    }

    private static void AssertFields(List<(string, string)> actual, params (string, string)[] expected) => Assert.Equal(expected, actual);

    /// <summary>Reads the dynamic table back through indexed fields 62, 63, ... and checks nothing follows.</summary>
    private static void AssertTable(HpackDecoder decoder, int size, params (string, string)[] expected)
    {
        Assert.Equal(size, decoder.DynamicTableSize);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], Assert.Single(Decode(decoder, Convert.ToHexString([(byte)(0x80 | (62 + i))]))));
        }

        Assert.Throws<HpackException>(() => Decode(decoder, Convert.ToHexString([(byte)(0x80 | (62 + expected.Length))])));
    }

    [Fact]
    public void Decode_C2_1_LiteralWithIndexing_AddsEntry()
    {
        var decoder = new HpackDecoder();

        var fields = Decode(decoder, "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572");

        AssertFields(fields, ("custom-key", "custom-header"));
        AssertTable(decoder, 55, ("custom-key", "custom-header"));
    }

    [Fact]
    public void Decode_C2_2_LiteralWithoutIndexing_LeavesTableEmpty()
    {
        var decoder = new HpackDecoder();

        AssertFields(Decode(decoder, "040c 2f73 616d 706c 652f 7061 7468"), (":path", "/sample/path"));
        AssertTable(decoder, 0);
    }

    [Fact]
    public void Decode_C2_3_LiteralNeverIndexed_LeavesTableEmpty()
    {
        var decoder = new HpackDecoder();

        AssertFields(Decode(decoder, "1008 7061 7373 776f 7264 0673 6563 7265 74"), ("password", "secret"));
        AssertTable(decoder, 0);
    }

    [Fact]
    public void Decode_C2_4_IndexedStatic_ReadsEntry()
    {
        var decoder = new HpackDecoder();

        AssertFields(Decode(decoder, "82"), (":method", "GET"));
        AssertTable(decoder, 0);
    }

    [Fact]
    public void Decode_C3_RequestsWithoutHuffman_TracksDynamicTable()
    {
        var decoder = new HpackDecoder();

        AssertFields(
            Decode(decoder, "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d"),
            (":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com"));
        AssertTable(decoder, 57, (":authority", "www.example.com"));

        AssertFields(
            Decode(decoder, "8286 84be 5808 6e6f 2d63 6163 6865"),
            (":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com"), ("cache-control", "no-cache"));
        AssertTable(decoder, 110, ("cache-control", "no-cache"), (":authority", "www.example.com"));

        AssertFields(
            Decode(decoder, "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65"),
            (":method", "GET"), (":scheme", "https"), (":path", "/index.html"), (":authority", "www.example.com"), ("custom-key", "custom-value"));
        AssertTable(decoder, 164, ("custom-key", "custom-value"), ("cache-control", "no-cache"), (":authority", "www.example.com"));
    }

    [Fact]
    public void Decode_C4_RequestsWithHuffman_TracksDynamicTable()
    {
        var decoder = new HpackDecoder();

        AssertFields(
            Decode(decoder, "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff"),
            (":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com"));
        AssertTable(decoder, 57, (":authority", "www.example.com"));

        AssertFields(
            Decode(decoder, "8286 84be 5886 a8eb 1064 9cbf"),
            (":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com"), ("cache-control", "no-cache"));
        AssertTable(decoder, 110, ("cache-control", "no-cache"), (":authority", "www.example.com"));

        AssertFields(
            Decode(decoder, "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"),
            (":method", "GET"), (":scheme", "https"), (":path", "/index.html"), (":authority", "www.example.com"), ("custom-key", "custom-value"));
        AssertTable(decoder, 164, ("custom-key", "custom-value"), ("cache-control", "no-cache"), (":authority", "www.example.com"));
    }

    [Theory]
    [InlineData(
        "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
        "4803 3330 37c1 c0bf",
        "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31")]
    [InlineData(
        "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
        "4883 640e ffc1 c0bf",
        "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07")]
    public void Decode_C5_C6_ResponsesWith256ByteTable_Evict(string first, string second, string third)
    {
        var decoder = new HpackDecoder(maxTableSize: 256);

        AssertFields(Decode(decoder, first), (":status", "302"), ("cache-control", "private"), ("date", Date21), ("location", Location));
        AssertTable(decoder, 222, ("location", Location), ("date", Date21), ("cache-control", "private"), (":status", "302"));

        AssertFields(Decode(decoder, second), (":status", "307"), ("cache-control", "private"), ("date", Date21), ("location", Location));
        AssertTable(decoder, 222, (":status", "307"), ("location", Location), ("date", Date21), ("cache-control", "private"));

        AssertFields(
            Decode(decoder, third),
            (":status", "200"), ("cache-control", "private"), ("date", Date22), ("location", Location), ("content-encoding", "gzip"), ("set-cookie", Cookie));
        AssertTable(decoder, 215, ("set-cookie", Cookie), ("content-encoding", "gzip"), ("date", Date22));
    }

    [Theory]
    [InlineData("80")] // index 0
    [InlineData("be")] // 62 with an empty dynamic table
    [InlineData("ff00")] // 127
    [InlineData("7e0161")] // literal naming index 62
    [InlineData("0f3101 61")] // literal without indexing naming index 64
    public void Decode_BadIndex_Throws(string dump)
    {
        Assert.Throws<HpackException>(() => Decode(new HpackDecoder(), dump));
    }

    [Fact]
    public void Decode_IndexZero_ThrowsNamingIt()
    {
        var error = Assert.Throws<HpackException>(() => Decode(new HpackDecoder(), "82 80"));

        Assert.Contains("index 0", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ff")] // prefix full, no continuation byte
    [InlineData("ff80")] // continuation says more follows
    [InlineData("3f")] // size update
    [InlineData("40ff")] // literal name length
    public void Decode_TruncatedInteger_Throws(string dump)
    {
        var error = Assert.Throws<HpackException>(() => Decode(new HpackDecoder(), dump));

        Assert.Contains("Truncated", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ff ffffffff 0f")] // five continuation bytes, value above int.MaxValue
    [InlineData("ff 8080808080 00")] // six continuation bytes
    [InlineData("04 ff ffffffff 7f")] // string length
    public void Decode_IntegerOverflow_Throws(string dump)
    {
        var error = Assert.Throws<HpackException>(() => Decode(new HpackDecoder(), dump));

        Assert.Contains("overflow", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_LargeIntegerWithinRange_Accepted()
    {
        // A value length of 300 (7-bit prefix 127, then 173 as 0xad 0x01).
        var block = new byte[] { 0x04, 0x7f, 0xad, 0x01 }.Concat(Enumerable.Repeat((byte)'a', 300)).ToArray();
        var fields = new Fields();

        new HpackDecoder().Decode(block, fields);

        AssertFields(fields.List, (":path", new string('a', 300)));
    }

    [Theory]
    [InlineData("400a 6375")] // name shorter than its length
    [InlineData("40")] // no name at all
    [InlineData("4001 61")] // name, then no value
    [InlineData("040c 2f73")] // value shorter than its length
    [InlineData("0485 ffff")] // Huffman value shorter than its length
    public void Decode_TruncatedString_Throws(string dump)
    {
        var error = Assert.Throws<HpackException>(() => Decode(new HpackDecoder(), dump));

        Assert.Contains("Truncated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_HuffmanWithEos_Throws()
    {
        // EOS (30 ones), then '0' (00000), then 5 bits of padding.
        var error = Assert.Throws<HpackException>(() => Decode(new HpackDecoder(), "0485 ffff fffc 1f"));

        Assert.Contains("EOS", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0481 18")] // 'a' (00011) padded with zeros
    [InlineData("0482 1fff")] // 'a' padded with 11 ones
    [InlineData("0481 ff")] // a whole byte of padding and nothing else
    public void Decode_HuffmanBadPadding_Throws(string dump)
    {
        var error = Assert.Throws<HpackException>(() => Decode(new HpackDecoder(), dump));

        Assert.Contains("padding", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_SizeUpdateAboveLimit_Throws()
    {
        Assert.Throws<HpackException>(() => Decode(new HpackDecoder(), "3fe2 1f")); // 4097
        Assert.Throws<HpackException>(() => Decode(new HpackDecoder(maxTableSize: 256), "3fe2 01")); // 257
    }

    [Fact]
    public void Decode_SizeUpdateAfterField_Throws()
    {
        var error = Assert.Throws<HpackException>(() => Decode(new HpackDecoder(), "82 20"));

        Assert.Contains("after a header field", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_SizeUpdatesAtStart_EvictAndRestore()
    {
        var decoder = new HpackDecoder();
        Decode(decoder, "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572");

        AssertFields(Decode(decoder, "20 3fe1 1f 82"), (":method", "GET")); // to 0, then back to 4096

        AssertTable(decoder, 0);
        Decode(decoder, "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572");
        AssertTable(decoder, 55, ("custom-key", "custom-header"));
    }

    [Fact]
    public void Decode_SizeUpdateBelowContents_EvictsOldest()
    {
        var decoder = new HpackDecoder();
        Decode(decoder, "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d");
        Decode(decoder, "8286 84be 5808 6e6f 2d63 6163 6865");

        Decode(decoder, "3f 1b"); // 58: room for the newer entry (53) only

        AssertTable(decoder, 53, ("cache-control", "no-cache"));
    }

    [Fact]
    public void Decode_EntryLargerThanTable_EmptiesTable()
    {
        var decoder = new HpackDecoder(maxTableSize: 64);
        Decode(decoder, "4001 61 01 62"); // a: b (34)

        Decode(decoder, "4001 63 20" + Convert.ToHexString(Encoding.ASCII.GetBytes(new string('d', 32)))); // 65 > 64

        AssertTable(decoder, 0);
    }

    [Fact]
    public void Decode_NewEntryNamesEvictedEntry_KeepsName()
    {
        var decoder = new HpackDecoder(maxTableSize: 80);
        Decode(decoder, "4004 6e61 6d65 0576 616c 7565"); // name: value (41)

        // Indexed name 62 with a 10-byte value (46): adding it evicts entry 62 itself.
        AssertFields(Decode(decoder, "7e0a 3031 3233 3435 3637 3839"), ("name", "0123456789"));

        AssertTable(decoder, 46, ("name", "0123456789"));
    }

    [Fact]
    public void Decode_ManyInsertions_RingWrapsAround()
    {
        var decoder = new HpackDecoder(maxTableSize: 110); // three 34-byte entries fill all three ring slots

        for (var i = 0; i < 10; i++)
        {
            Decode(decoder, "4001 61 01" + Convert.ToHexString([(byte)('0' + i)]));
        }

        AssertTable(decoder, 102, ("a", "9"), ("a", "8"), ("a", "7"));
    }

    [Fact]
    public void Decode_StringLongerThanLimit_Throws()
    {
        var plain = "04 05" + Convert.ToHexString("aaaaa"u8);
        var huffman = new byte[HpackHuffman.EncodedLength("aaaaa"u8)];
        HpackHuffman.Encode("aaaaa"u8, huffman);
        var coded = "04" + Convert.ToHexString([(byte)(0x80 | huffman.Length)]) + Convert.ToHexString(huffman);

        Assert.Throws<HpackException>(() => Decode(new HpackDecoder(maxStringLength: 4), plain));
        Assert.Throws<HpackException>(() => Decode(new HpackDecoder(maxStringLength: 4), coded));
        AssertFields(Decode(new HpackDecoder(maxStringLength: 5), plain), (":path", "aaaaa"));
        AssertFields(Decode(new HpackDecoder(maxStringLength: 5), coded), (":path", "aaaaa"));
    }

    [Fact]
    public void Decode_HuffmanNameAndValue_BothSurviveUntilHandler()
    {
        var decoder = new HpackDecoder();

        // Literal without indexing, Huffman name "custom-key" and Huffman value "custom-value" (from C.4.3).
        AssertFields(Decode(decoder, "0088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"), ("custom-key", "custom-value"));
    }

    [Fact]
    public void Decode_EmptyBlock_NoFields()
    {
        Assert.Empty(Decode(new HpackDecoder(), ""));
    }

    [Fact]
    public void Decode_IndexedAndDynamicFieldsAfterWarmUp_DoesNotAllocate()
    {
        var decoder = new HpackDecoder();
        Decode(decoder, "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff"); // :authority into the table
        var block = new List<byte> { 0x82, 0x87, 0x85, 0xbe };
        var buffer = new byte[64];
        block.AddRange(buffer[..HpackEncoder.WriteField("user-agent"u8, "curl/8.5"u8, buffer)]);
        block.AddRange(Hex("0f2f 86a8 eb10 649c bf")); // name 62 (:authority), Huffman "no-cache"
        block.AddRange(Hex("0088 25a8 49e9 5ba9 7d7f 839b d9ab")); // Huffman "custom-key", Huffman "gzip"
        var sink = new CountingHandler();
        var bytes = block.ToArray();
        decoder.Decode(bytes, sink);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            decoder.Decode(bytes, sink);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(7 * 101, sink.Count);
    }

    private sealed class Fields : IHpackHandler
    {
        public List<(string Name, string Value)> List { get; } = [];

        public void OnField(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) => List.Add((Encoding.ASCII.GetString(name), Encoding.ASCII.GetString(value)));
    }

    private sealed class CountingHandler : IHpackHandler
    {
        public int Count { get; private set; }

        public void OnField(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
        {
            Assert.False(name.IsEmpty);
            Count++;
        }
    }
}
