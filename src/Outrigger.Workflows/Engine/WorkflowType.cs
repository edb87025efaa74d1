namespace Outrigger.Workflows.Engine;

/// <summary>A workflow name and version, as apps register them and starts name them.</summary>
internal readonly record struct WorkflowType(string Name, uint Version)
{
    public override string ToString() => $"{Name} v{Version}";
}
