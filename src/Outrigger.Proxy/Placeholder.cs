namespace Outrigger.Proxy; internal static class Placeholder { }
