using Outrigger.Grpc;
using Raftoral.Sidecar;

namespace Outrigger.Workflows.Protocol;

/// <summary>The app-facing service of spec 003.</summary>
internal static class SidecarMethods
{
    public const string Service = "raftoral.sidecar.RaftoralSidecar";

    public static readonly Method<AppMessage, SidecarMessage> WorkflowStream =
        new(MethodType.DuplexStreaming, Service, "WorkflowStream", AppMessage.Parser, SidecarMessage.Parser);
}
