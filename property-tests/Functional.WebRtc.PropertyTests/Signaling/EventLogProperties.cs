using Functional.WebRtc.Core.Ice;
using Functional.WebRtc.Core.EventLog;
using Functional.WebRtc.Core.PeerConnection;
using Functional.WebRtc.Testing;
using FsCheck;
using FsCheck.Fluent;

namespace Functional.WebRtc.PropertyTests.Signaling;

public class EventLogProperties
{
    /// <summary>Random negotiation runs as op codes: the same driver as the model-based test, without its model.</summary>
    public static Arbitrary<int[]> Runs() => Gen.ArrayOf(Gen.Choose(0, 9)).ToArbitrary();

    private static void Drive(Negotiation n, int[] ops)
    {
        var i = 0;
        foreach (var op in ops)
        {
            var polite = (i++ & 1) == 0;
            var p = n.Peer(polite);
            switch (op)
            {
                case 0: p.Run(new PeerInput.AddTransceiver(i % 3 == 0 ? MediaKind.Video : MediaKind.Audio, (Direction)(i % 4))); break;
                case 1: p.Run(new PeerInput.CreateDataChannel("dc")); break;
                case 2: p.Run(new PeerInput.AddTrack($"t{i}", "s", MediaKind.Audio)); break;
                case 3: p.Run(new PeerInput.SetDirection(i % 3, (Direction)(i % 4))); break;
                case 4: p.Run(new PeerInput.StopTransceiver(i % 3)); break;
                case 5: p.HandleNegotiationNeeded(n.Other(polite)); break;
                case 6: p.Deliver(n.Other(polite)); break;
                case 7: n.Settle(); break;
                case 8: p.Run(new PeerInput.CreateOffer(IceRestart: true)); break;
                default: p.Run(new PeerInput.IceStateChanged((IceConnectionState)(i % 7))); break;
            }
        }
        n.Settle();
    }

    /// <summary>replay(record(run)) == run: the JSON-lines log of a peer's inputs replays to the same states and outputs.</summary>
    [Property(MaxTest = 60, EndSize = 40, Arbitrary = [typeof(EventLogProperties)])]
    public bool ReplayOfARecordedRunIsTheRun(int[] ops)
    {
        var n = new Negotiation();
        Drive(n, ops);
        foreach (var peer in new[] { n.Impolite, n.Polite })
        {
            var lines = EventLog.Record(EventLogHeader.Of(peer.Config, peer.Seed), peer.History.Select(h => h.Input)).ToList();
            var replayed = EventLog.Replay(lines).IfLeft(e => throw new Exception(e.ToString()));
            if (replayed.Count != peer.History.Count) return false;
            foreach (var (original, again) in peer.History.Zip(replayed))
                if (original.Step.State != again.State || !original.Step.Outputs.SequenceEqual(again.Outputs))
                    return false;
        }
        return true;
    }
}
