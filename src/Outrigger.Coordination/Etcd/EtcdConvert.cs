using Google.Protobuf;
using Pb = Outrigger.Coordination.Etcd.Protocol;

namespace Outrigger.Coordination.Etcd;

/// <summary>Converts between the store's model and etcd's protobuf messages.</summary>
internal static class EtcdConvert
{
    public static KeyValue ToKeyValue(Pb.KeyValue kv) =>
        new(kv.Key.ToByteArray(), kv.Value.ToByteArray(), kv.CreateRevision, kv.ModRevision, kv.Version, kv.Lease);

    public static WatchEvent ToEvent(Pb.Event e) =>
        new(e.Type == Pb.Event.Types.EventType.Delete ? WatchEventType.Delete : WatchEventType.Put, ToKeyValue(e.Kv));

    public static Pb.RangeRequest ToRangeRequest(KeyRange range, RangeOptions? options)
    {
        var request = new Pb.RangeRequest { Key = ByteString.CopyFrom(range.Start), RangeEnd = End(range) };
        if (options is not null)
        {
            request.Revision = options.Revision;
            request.Limit = options.Limit;
            request.KeysOnly = options.KeysOnly;
            request.CountOnly = options.CountOnly;
        }

        return request;
    }

    public static RangeResult ToRangeResult(Pb.RangeResponse response) =>
        new(response.Header.Revision, response.Kvs.Select(ToKeyValue).ToArray(), response.Count, response.More);

    public static Pb.PutRequest ToPutRequest(byte[] key, ReadOnlyMemory<byte> value, long leaseId) =>
        new() { Key = ByteString.CopyFrom(key), Value = ByteString.CopyFrom(value.Span), Lease = leaseId };

    public static Pb.DeleteRangeRequest ToDeleteRequest(KeyRange range) =>
        new() { Key = ByteString.CopyFrom(range.Start), RangeEnd = End(range) };

    public static Pb.TxnRequest ToTxnRequest(Txn txn)
    {
        var request = new Pb.TxnRequest();
        request.Compare.AddRange(txn.If.Select(ToCompare));
        request.Success.AddRange(txn.Then.Select(ToRequestOp));
        request.Failure.AddRange(txn.Else.Select(ToRequestOp));
        return request;
    }

    public static TxnResult ToTxnResult(Pb.TxnResponse response)
    {
        var revision = response.Header.Revision;
        var results = response.Responses.Select<Pb.ResponseOp, OpResult>(op => op.ResponseCase switch
        {
            Pb.ResponseOp.ResponseOneofCase.ResponseRange => ToRangeResult(op.ResponseRange) with { Revision = revision },
            Pb.ResponseOp.ResponseOneofCase.ResponsePut => new PutResult(revision),
            Pb.ResponseOp.ResponseOneofCase.ResponseDeleteRange => new DeleteResult(revision, op.ResponseDeleteRange.Deleted),
            _ => throw new CoordinationException(CoordinationError.InvalidArgument, $"unexpected transaction response {op.ResponseCase}"),
        }).ToArray();
        return new TxnResult(revision, response.Succeeded, results);
    }

    private static Pb.Compare ToCompare(Compare compare)
    {
        var pb = new Pb.Compare
        {
            Key = ByteString.CopyFrom(compare.KeyBytes),
            Target = (Pb.Compare.Types.CompareTarget)compare.Target,
            Result = (Pb.Compare.Types.CompareResult)compare.Op,
        };
        switch (compare.Target)
        {
            case CompareTarget.Version:
                pb.Version = compare.Number;
                break;
            case CompareTarget.CreateRevision:
                pb.CreateRevision = compare.Number;
                break;
            case CompareTarget.ModRevision:
                pb.ModRevision = compare.Number;
                break;
            case CompareTarget.Lease:
                pb.Lease = compare.Number;
                break;
            default:
                pb.Value = ByteString.CopyFrom(compare.Operand.Span);
                break;
        }

        return pb;
    }

    private static Pb.RequestOp ToRequestOp(TxnOp op) => op switch
    {
        PutOp put => new Pb.RequestOp { RequestPut = ToPutRequest(put.Key, put.Value, put.LeaseId) },
        DeleteOp delete => new Pb.RequestOp { RequestDeleteRange = ToDeleteRequest(delete.Keys) },
        RangeOp range => new Pb.RequestOp { RequestRange = ToRangeRequest(range.Keys, range.Options) },
        _ => throw new ArgumentException($"unknown operation {op}", nameof(op)),
    };

    private static ByteString End(KeyRange range) => range.End is null ? ByteString.Empty : ByteString.CopyFrom(range.End);
}
