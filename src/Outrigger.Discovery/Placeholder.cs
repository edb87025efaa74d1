namespace Outrigger.Discovery; internal static class Placeholder { }
