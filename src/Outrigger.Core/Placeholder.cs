namespace Outrigger.Core; internal static class Placeholder { }
