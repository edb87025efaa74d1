namespace Outrigger.Coordination; internal static class Placeholder { }
