using Microsoft.Extensions.Logging;

namespace Outrigger.Core.Admin;

/// <summary>The process-wide minimum log level, changeable at run time through the admin <c>/logging</c> endpoint.</summary>
public sealed class LogLevelSwitch(LogLevel level)
{
    private volatile int _level = (int)level;

    public LogLevel Level
    {
        get => (LogLevel)_level;
        set => _level = (int)value;
    }

    public static IReadOnlyList<string> Names { get; } = ["trace", "debug", "information", "warning", "error", "critical", "none"];

    public static bool TryParse(string? text, out LogLevel level)
    {
        level = LogLevel.Information;
        var index = text is null ? -1 : IndexOf(text.Trim().ToLowerInvariant() switch { "info" => "information", "warn" => "warning", var t => t });
        if (index < 0)
        {
            return false;
        }

        level = (LogLevel)index;
        return true;
    }

    public static string Name(LogLevel level) => Names[(int)level];

    private static int IndexOf(string name)
    {
        for (var i = 0; i < Names.Count; i++)
        {
            if (Names[i] == name)
            {
                return i;
            }
        }

        return -1;
    }
}
