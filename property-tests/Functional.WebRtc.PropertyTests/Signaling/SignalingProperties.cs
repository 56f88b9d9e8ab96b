using FsCheck;
using FsCheck.Experimental;
using Functional.WebRtc.Testing;

namespace Functional.WebRtc.PropertyTests.Signaling;

public class SignalingProperties
{
    /// <summary>
    /// Two peers under perfect negotiation driven by random API calls, handler runs and message deliveries (glare
    /// included): states are always legal, failed calls never change state, and after settling both are stable with
    /// the same descriptions, mids and codecs.
    /// </summary>
    [Property(MaxTest = 300)]
    public Property PerfectNegotiationAlwaysConverges() => new NegotiationMachine().ToProperty();
}
