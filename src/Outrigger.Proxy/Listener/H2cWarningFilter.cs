using Microsoft.Extensions.Logging;

namespace Outrigger.Proxy.Listener;

/// <summary>
/// Drops Kestrel's start-up warning that HTTP/2 is disabled on a cleartext HTTP/1.1+HTTP/2 endpoint (event 64): with
/// <see cref="PriorKnowledgeH2c"/> in front, such an endpoint does serve h2c, so the warning would mislead operators.
/// </summary>
internal sealed class H2cWarningFilter(ILoggerFactory inner) : ILoggerFactory
{
    private const int Http2DisabledWithHttp1AndNoTls = 64;

    public ILogger CreateLogger(string categoryName)
    {
        var logger = inner.CreateLogger(categoryName);
        return categoryName == "Microsoft.AspNetCore.Server.Kestrel" ? new Filtered(logger) : logger;
    }

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose()
    {
        // The inner factory belongs to the host.
    }

    private sealed class Filtered(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id != Http2DisabledWithHttp1AndNoTls)
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
