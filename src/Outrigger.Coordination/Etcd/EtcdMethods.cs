using Outrigger.Grpc;
using Pb = Outrigger.Coordination.Etcd.Protocol;

namespace Outrigger.Coordination.Etcd;

/// <summary>The etcd v3 gRPC methods the backend calls (paths as in etcd's rpc.proto).</summary>
internal static class EtcdMethods
{
    private const string Kv = "etcdserverpb.KV";
    private const string Watch = "etcdserverpb.Watch";
    private const string Lease = "etcdserverpb.Lease";
    private const string Maintenance = "etcdserverpb.Maintenance";

    public static readonly Method<Pb.RangeRequest, Pb.RangeResponse> Range = new(MethodType.Unary, Kv, "Range", Pb.RangeRequest.Parser, Pb.RangeResponse.Parser);

    public static readonly Method<Pb.PutRequest, Pb.PutResponse> Put = new(MethodType.Unary, Kv, "Put", Pb.PutRequest.Parser, Pb.PutResponse.Parser);

    public static readonly Method<Pb.DeleteRangeRequest, Pb.DeleteRangeResponse> DeleteRange = new(MethodType.Unary, Kv, "DeleteRange", Pb.DeleteRangeRequest.Parser, Pb.DeleteRangeResponse.Parser);

    public static readonly Method<Pb.TxnRequest, Pb.TxnResponse> Txn = new(MethodType.Unary, Kv, "Txn", Pb.TxnRequest.Parser, Pb.TxnResponse.Parser);

    public static readonly Method<Pb.CompactionRequest, Pb.CompactionResponse> Compact = new(MethodType.Unary, Kv, "Compact", Pb.CompactionRequest.Parser, Pb.CompactionResponse.Parser);

    public static readonly Method<Pb.WatchRequest, Pb.WatchResponse> WatchStream = new(MethodType.DuplexStreaming, Watch, "Watch", Pb.WatchRequest.Parser, Pb.WatchResponse.Parser);

    public static readonly Method<Pb.LeaseGrantRequest, Pb.LeaseGrantResponse> LeaseGrant = new(MethodType.Unary, Lease, "LeaseGrant", Pb.LeaseGrantRequest.Parser, Pb.LeaseGrantResponse.Parser);

    public static readonly Method<Pb.LeaseRevokeRequest, Pb.LeaseRevokeResponse> LeaseRevoke = new(MethodType.Unary, Lease, "LeaseRevoke", Pb.LeaseRevokeRequest.Parser, Pb.LeaseRevokeResponse.Parser);

    public static readonly Method<Pb.LeaseKeepAliveRequest, Pb.LeaseKeepAliveResponse> LeaseKeepAlive = new(MethodType.DuplexStreaming, Lease, "LeaseKeepAlive", Pb.LeaseKeepAliveRequest.Parser, Pb.LeaseKeepAliveResponse.Parser);

    public static readonly Method<Pb.LeaseTimeToLiveRequest, Pb.LeaseTimeToLiveResponse> LeaseTimeToLive = new(MethodType.Unary, Lease, "LeaseTimeToLive", Pb.LeaseTimeToLiveRequest.Parser, Pb.LeaseTimeToLiveResponse.Parser);

    public static readonly Method<Pb.StatusRequest, Pb.StatusResponse> Status = new(MethodType.Unary, Maintenance, "Status", Pb.StatusRequest.Parser, Pb.StatusResponse.Parser);
}
