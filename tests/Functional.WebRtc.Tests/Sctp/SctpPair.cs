using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Sctp;
using Functional.WebRtc.Testing;

namespace Functional.WebRtc.Tests.Sctp;

/// <summary>Two associations ("a" and "b") joined by a seeded SimNetwork, driven in simulated time.</summary>
public sealed class SctpPair
{
    public readonly SimNetwork<string, byte[]> Net;
    public readonly Dictionary<string, SctpAssociation> Side = new();
    public readonly Dictionary<string, List<SctpOutput.Delivered>> Delivered = new() { ["a"] = new(), ["b"] = new() };
    public readonly Dictionary<string, List<SctpOutput>> Events = new() { ["a"] = new(), ["b"] = new() };
    public readonly Dictionary<string, List<RtcError>> Errors = new() { ["a"] = new(), ["b"] = new() };
    private readonly Dictionary<string, TimeSpan?> _wake = new() { ["a"] = null, ["b"] = null };
    public TimeSpan Now;
    public int Steps;
    public int MaxPacket;
    /// <summary>When set, packets larger than this are lost (a path MTU; lowering it later makes a black hole).</summary>
    public int? PathMtu;
    public int DroppedBig;

    public SctpPair(int seed, LinkProfile profile, SctpConfig? config = null, SctpConfig? configB = null)
    {
        Net = new SimNetwork<string, byte[]>(seed, profile);
        Side["a"] = SctpAssociation.Create(config ?? SctpConfig.Default, new Entropy((ulong)seed * 7919 + 1));
        Side["b"] = SctpAssociation.Create(configB ?? config ?? SctpConfig.Default, new Entropy((ulong)seed * 104729 + 2));
    }

    public SctpAssociation A => Side["a"];
    public SctpAssociation B => Side["b"];
    public static string Other(string who) => who == "a" ? "b" : "a";

    public void Apply(string who, SctpInput input)
    {
        Steps++;
        var step = SctpAssociation.Handle(Side[who], input);
        Side[who] = step.State;
        foreach (var o in step.Outputs)
        {
            switch (o)
            {
                case SctpOutput.Transmit t:
                    MaxPacket = Math.Max(MaxPacket, t.Packet.Length);
                    if (PathMtu is { } limit && t.Packet.Length > limit) { DroppedBig++; break; } // larger than the path carries
                    Net.Send(Now, who, Other(who), t.Packet);
                    break;
                case SctpOutput.WakeAt w: _wake[who] = w.At; break;
                case SctpOutput.Delivered d: Delivered[who].Add(d); break;
                case SctpOutput.Error e: Errors[who].Add(e.Reason); Events[who].Add(o); break;
                default: Events[who].Add(o); break;
            }
        }
    }

    public void Send(string who, ushort sid, byte[] payload, bool ordered = true, SctpReliability? rel = null, uint ppid = 53) =>
        Apply(who, new SctpInput.Send(Now, sid, ppid, payload, ordered, rel));

    /// <summary>Runs events in time order until <paramref name="done"/> or <paramref name="limit"/> of simulated time passes.</summary>
    public bool RunUntil(Func<bool> done, TimeSpan limit, int maxSteps = 2_000_000)
    {
        var end = Now + limit;
        var batch = new Dictionary<string, List<byte[]>> { ["a"] = new(), ["b"] = new() };
        while (!done())
        {
            if (Steps > maxSteps) return false;
            TimeSpan? next = Net.NextAt;
            foreach (var w in _wake.Values) if (w is { } v && (next is null || v < next)) next = v;
            if (next is null || next > end) { Now = end; return done(); }
            if (next > Now) Now = next.Value;
            while (Net.TryReceive(Now, out var d)) batch[d.To].Add(d.Payload);
            foreach (var who in new[] { "a", "b" })
            {
                if (batch[who].Count > 0)
                {
                    var packets = batch[who].ToArray();
                    batch[who].Clear();
                    Apply(who, packets.Length == 1 ? new SctpInput.Received(Now, packets[0]) : new SctpInput.ReceivedBatch(Now, packets));
                }
                if (_wake[who] is { } w && w <= Now)
                {
                    _wake[who] = null;
                    Apply(who, new SctpInput.Tick(Now));
                }
            }
        }
        return true;
    }

    public bool Connect(bool both = false, TimeSpan? limit = null)
    {
        Apply("a", new SctpInput.Associate(Now));
        if (both) Apply("b", new SctpInput.Associate(Now));
        return RunUntil(() => A.State == SctpState.Established && B.State == SctpState.Established, limit ?? TimeSpan.FromSeconds(120));
    }
}
