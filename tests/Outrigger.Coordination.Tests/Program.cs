using System.Globalization;
using Outrigger.Coordination.Tests.Embedded;

namespace Outrigger.Coordination.Tests;

/// <summary>
/// The test assembly is also a small program, so crash tests can run a writer in another process and kill -9 it:
/// <c>dotnet Outrigger.Coordination.Tests.dll crash-writer DIR ROUND SNAPSHOT_EVERY</c>.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is ["crash-writer", var directory, var round, var snapshotEvery])
        {
            await CrashWriter.RunAsync(directory, round, int.Parse(snapshotEvery, CultureInfo.InvariantCulture));
            return 0;
        }

        await Console.Error.WriteLineAsync("usage: Outrigger.Coordination.Tests crash-writer DIR ROUND SNAPSHOT_EVERY");
        return 2;
    }
}
