namespace Outrigger.Gateway; internal static class Placeholder { }
