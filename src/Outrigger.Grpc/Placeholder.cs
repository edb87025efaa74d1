namespace Outrigger.Grpc; internal static class Placeholder { }
