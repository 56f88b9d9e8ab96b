namespace Functional.WebRtc.Tests.Connection;

/// <summary>
/// The hostile-peer tests burn CPU in bursts (thousands of malformed packets a second): they run on their own, not
/// beside the timing-sensitive browser tests on a loaded 2-core machine.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HostilePeerCollection
{
    public const string Name = "hostile peer";
}
