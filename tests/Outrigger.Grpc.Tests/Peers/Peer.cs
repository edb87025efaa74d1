using System.Diagnostics;

namespace Outrigger.Grpc.Tests.Peers;

/// <summary>The independent gRPC implementations the interop tests run against, and whether this machine has them.</summary>
internal static class Peer
{
    public const string Grpcio = "grpcio";
    public const string GrpcJs = "grpc-js";
    public const string PythonPath = "/usr/bin/python3";

    private static readonly Lazy<string?> GrpcioMissing = new(() => CheckGrpcio());
    private static readonly Lazy<string?> GrpcJsMissing = new(() => CheckGrpcJs());

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string PythonDirectory => Path.Combine(RepositoryRoot, "tests", "Interop", "python");

    public static string NodeDirectory => Path.Combine(RepositoryRoot, "tests", "Interop", "node");

    /// <summary>Why <paramref name="peer"/> cannot run here, or null when it can.</summary>
    public static string? WhyUnavailable(string peer) => peer == Grpcio ? GrpcioMissing.Value : GrpcJsMissing.Value;

    /// <summary>How to run the peer's script <paramref name="script"/> (interop_client or interop_server).</summary>
    public static ProcessStartInfo StartInfo(string peer, string script, params string[] args)
    {
        var info = peer == Grpcio
            ? new ProcessStartInfo(PythonPath) { WorkingDirectory = PythonDirectory, ArgumentList = { "-u", script + ".py" } }
            : new ProcessStartInfo("node") { WorkingDirectory = NodeDirectory, ArgumentList = { script + ".js" } };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }

    private static string? CheckGrpcio()
    {
        if (!File.Exists(PythonPath))
        {
            return $"grpcio peer unavailable: {PythonPath} not found (install Debian python3-grpcio python3-grpc-tools).";
        }

        var (code, output) = Run(new ProcessStartInfo(PythonPath) { ArgumentList = { "-c", "import grpc, grpc_tools.protoc" } });
        return code == 0 ? null : $"grpcio peer unavailable: {PythonPath} cannot import grpc and grpc_tools (install Debian python3-grpcio python3-grpc-tools): {output}";
    }

    private static string? CheckGrpcJs()
    {
        if (!Directory.Exists(Path.Combine(NodeDirectory, "node_modules", "@grpc", "grpc-js")))
        {
            return $"grpc-js peer unavailable: run 'npm ci' in {NodeDirectory}.";
        }

        var (code, output) = Run(new ProcessStartInfo("node") { ArgumentList = { "--version" } });
        return code == 0 ? null : $"grpc-js peer unavailable: node does not run: {output}";
    }

    private static (int Code, string Output) Run(ProcessStartInfo info)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        try
        {
            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output.Trim());
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, ex.Message);
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Outrigger.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Outrigger.sln above {AppContext.BaseDirectory}.");
    }
}

/// <summary>A theory that is skipped, with the reason, when its peer is not installed.</summary>
public sealed class PeerTheoryAttribute : TheoryAttribute
{
    public PeerTheoryAttribute(string peer)
    {
        Skip = Peer.WhyUnavailable(peer);
    }
}

/// <summary>A fact that is skipped, with the reason, when its peer is not installed.</summary>
public sealed class PeerFactAttribute : FactAttribute
{
    public PeerFactAttribute(string peer)
    {
        Skip = Peer.WhyUnavailable(peer);
    }
}
