using System.Buffers;

namespace Outrigger.Coordination.Embedded;

/// <summary>A write request as logged: replaying the log applies the same requests in the same order.</summary>
internal abstract record LogRequest
{
    private const byte TxnKind = 1;
    private const byte GrantKind = 2;
    private const byte RevokeKind = 3;
    private const byte CompactKind = 4;

    public void Encode(BinaryEncoder writer)
    {
        switch (this)
        {
            case TxnRequest txn:
                writer.Byte(TxnKind);
                EncodeTxn(writer, txn.Txn);
                break;
            case GrantRequest grant:
                writer.Byte(GrantKind);
                writer.Long(grant.Id);
                writer.Long(grant.TtlSeconds);
                break;
            case RevokeRequest revoke:
                writer.Byte(RevokeKind);
                writer.Long(revoke.Id);
                break;
            case CompactRequest compact:
                writer.Byte(CompactKind);
                writer.Long(compact.Revision);
                break;
        }
    }

    public static LogRequest Decode(ref BinaryDecoder reader) => reader.Byte() switch
    {
        TxnKind => new TxnRequest(DecodeTxn(ref reader)),
        GrantKind => new GrantRequest(reader.Long(), reader.Long()),
        RevokeKind => new RevokeRequest(reader.Long()),
        CompactKind => new CompactRequest(reader.Long()),
        var kind => throw new InvalidDataException($"unknown request kind {kind}"),
    };

    private static void EncodeTxn(BinaryEncoder writer, Txn txn)
    {
        writer.Long(txn.If.Count);
        foreach (var compare in txn.If)
        {
            writer.Bytes(compare.KeyBytes);
            writer.Byte((byte)compare.Target);
            writer.Byte((byte)compare.Op);
            writer.Long(compare.Number);
            writer.Bytes(compare.Operand.Span);
        }

        EncodeOps(writer, txn.Then);
        EncodeOps(writer, txn.Else);
    }

    private static void EncodeOps(BinaryEncoder writer, IReadOnlyList<TxnOp> ops)
    {
        writer.Long(ops.Count);
        foreach (var op in ops)
        {
            switch (op)
            {
                case PutOp put:
                    writer.Byte(0);
                    writer.Bytes(put.Key);
                    writer.Bytes(put.Value.Span);
                    writer.Long(put.LeaseId);
                    break;
                case DeleteOp delete:
                    writer.Byte(1);
                    EncodeRange(writer, delete.Keys);
                    break;
                case RangeOp range:
                    writer.Byte(2);
                    EncodeRange(writer, range.Keys);
                    writer.Long(range.Options.Revision);
                    writer.Long(range.Options.Limit);
                    writer.Bool(range.Options.KeysOnly);
                    writer.Bool(range.Options.CountOnly);
                    break;
            }
        }
    }

    private static void EncodeRange(BinaryEncoder writer, KeyRange range)
    {
        writer.Bytes(range.Start);
        writer.Bool(range.End is not null);
        writer.Bytes(range.End ?? []);
    }

    private static Txn DecodeTxn(ref BinaryDecoder reader)
    {
        var compares = new Compare[reader.Int()];
        for (var i = 0; i < compares.Length; i++)
        {
            var key = System.Text.Encoding.UTF8.GetString(reader.Bytes());
            var target = (CompareTarget)reader.Byte();
            var op = (CompareOp)reader.Byte();
            var number = reader.Long();
            var value = reader.Bytes();
            compares[i] = target switch
            {
                CompareTarget.Version => Compare.Version(key, op, number),
                CompareTarget.CreateRevision => Compare.CreateRevision(key, op, number),
                CompareTarget.ModRevision => Compare.ModRevision(key, op, number),
                CompareTarget.Lease => Compare.Lease(key, op, number),
                CompareTarget.Value => Compare.Value(key, op, value),
                _ => throw new InvalidDataException($"unknown compare target {target}"),
            };
        }

        var then = DecodeOps(ref reader);
        var @else = DecodeOps(ref reader);
        return new Txn(compares, then, @else);
    }

    private static TxnOp[] DecodeOps(ref BinaryDecoder reader)
    {
        var ops = new TxnOp[reader.Int()];
        for (var i = 0; i < ops.Length; i++)
        {
            ops[i] = reader.Byte() switch
            {
                0 => new PutOp(reader.Bytes(), reader.Bytes(), reader.Long()),
                1 => new DeleteOp(DecodeRange(ref reader)),
                2 => new RangeOp(DecodeRange(ref reader), new RangeOptions { Revision = reader.Long(), Limit = reader.Long(), KeysOnly = reader.Bool(), CountOnly = reader.Bool() }),
                var kind => throw new InvalidDataException($"unknown operation kind {kind}"),
            };
        }

        return ops;
    }

    private static KeyRange DecodeRange(ref BinaryDecoder reader)
    {
        var start = reader.Bytes();
        var hasEnd = reader.Bool();
        var end = reader.Bytes();
        return KeyRange.FromBytes(start, hasEnd ? end : null);
    }
}

internal sealed record TxnRequest(Txn Txn) : LogRequest;

internal sealed record GrantRequest(long Id, long TtlSeconds) : LogRequest;

internal sealed record RevokeRequest(long Id) : LogRequest;

internal sealed record CompactRequest(long Revision) : LogRequest;
