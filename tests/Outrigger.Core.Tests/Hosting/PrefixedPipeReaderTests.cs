using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Outrigger.Core.Hosting;

namespace Outrigger.Core.Tests.Hosting;

public sealed class PrefixedPipeReaderTests
{
    [Fact]
    public async Task Read_PrefixThenInner_OneStream()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(Encoding.ASCII.GetBytes(" world"));
        await pipe.Writer.CompleteAsync();
        var reader = new PrefixedPipeReader(Encoding.ASCII.GetBytes("hello"), pipe.Reader);

        Assert.Equal("hello world", await ReadAllAsync(reader));
    }

    [Fact]
    public async Task Read_PrefixExaminedButNotConsumed_JoinedWithInnerBytes()
    {
        var pipe = new Pipe();
        var reader = new PrefixedPipeReader(Encoding.ASCII.GetBytes("GET / HT"), pipe.Reader);

        var first = await reader.ReadAsync();
        Assert.Equal("GET / HT", Encoding.ASCII.GetString(first.Buffer.ToArray()));
        reader.AdvanceTo(first.Buffer.Start, first.Buffer.End); // a parser that needs more

        await pipe.Writer.WriteAsync(Encoding.ASCII.GetBytes("TP/1.1\r\n"));
        var second = await reader.ReadAsync();
        Assert.Equal("GET / HTTP/1.1\r\n", Encoding.ASCII.GetString(second.Buffer.ToArray()));
        reader.AdvanceTo(second.Buffer.End);

        await pipe.Writer.WriteAsync(Encoding.ASCII.GetBytes("next"));
        var third = await reader.ReadAsync();
        Assert.Equal("next", Encoding.ASCII.GetString(third.Buffer.ToArray()));
        reader.AdvanceTo(third.Buffer.End);
    }

    [Fact]
    public async Task Read_PartlyConsumedPrefix_RestComesNext()
    {
        var pipe = new Pipe();
        await pipe.Writer.CompleteAsync();
        var reader = new PrefixedPipeReader(Encoding.ASCII.GetBytes("abcdef"), pipe.Reader);

        var first = await reader.ReadAsync();
        reader.AdvanceTo(first.Buffer.GetPosition(2));
        var second = await reader.ReadAsync();

        Assert.Equal("cdef", Encoding.ASCII.GetString(second.Buffer.ToArray()));
    }

    [Fact]
    public async Task CancelPendingRead_WhilePrefixDrains_NextReadIsCanceled()
    {
        var pipe = new Pipe();
        var reader = new PrefixedPipeReader(Encoding.ASCII.GetBytes("abc"), pipe.Reader);

        reader.CancelPendingRead();
        var cancelled = await reader.ReadAsync();
        reader.AdvanceTo(cancelled.Buffer.Start);
        var next = await reader.ReadAsync();

        Assert.True(cancelled.IsCanceled);
        Assert.False(next.IsCanceled);
        Assert.Equal("abc", Encoding.ASCII.GetString(next.Buffer.ToArray()));
    }

    private static async Task<string> ReadAllAsync(PipeReader reader)
    {
        var text = new StringBuilder();
        while (true)
        {
            var result = await reader.ReadAsync();
            text.Append(Encoding.ASCII.GetString(result.Buffer.ToArray()));
            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return text.ToString();
            }
        }
    }
}
