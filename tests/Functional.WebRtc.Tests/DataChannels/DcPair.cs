using Functional.WebRtc.Core;
using Functional.WebRtc.Core.DataChannels;
using Functional.WebRtc.Core.Sctp;
using Functional.WebRtc.Testing;

namespace Functional.WebRtc.Tests.DataChannels;

/// <summary>Two data-channel machines ("a" = DTLS client, "b" = DTLS server) over a seeded SimNetwork.</summary>
public sealed class DcPair
{
    public readonly SimNetwork<string, byte[]> Net;
    public readonly Dictionary<string, DataChannelMachine> Side = new();
    public readonly Dictionary<string, List<DataChannelOutput>> Events = new() { ["a"] = new(), ["b"] = new() };
    private readonly Dictionary<string, TimeSpan?> _wake = new() { ["a"] = null, ["b"] = null };
    public TimeSpan Now;

    public DcPair(int seed, LinkProfile? profile = null, SctpConfig? config = null)
    {
        Net = new SimNetwork<string, byte[]>(seed, profile ?? LinkProfile.Perfect);
        Side["a"] = DataChannelMachine.Create(config ?? SctpConfig.Default, new Entropy((ulong)seed * 31 + 1));
        Side["b"] = DataChannelMachine.Create(config ?? SctpConfig.Default, new Entropy((ulong)seed * 37 + 2));
    }

    public DataChannelMachine A => Side["a"];
    public DataChannelMachine B => Side["b"];

    public void Apply(string who, DataChannelInput input)
    {
        var step = DataChannelMachine.Handle(Side[who], input);
        Side[who] = step.State;
        foreach (var o in step.Outputs)
        {
            switch (o)
            {
                case DataChannelOutput.Transmit t: Net.Send(Now, who, who == "a" ? "b" : "a", t.Packet); break;
                case DataChannelOutput.WakeAt w: _wake[who] = w.At; break;
                default: Events[who].Add(o); break;
            }
        }
    }

    public int Create(string who, DataChannelOptions options)
    {
        Apply(who, new DataChannelInput.Create(Now, options));
        return Events[who].OfType<DataChannelOutput.ChannelCreated>().Last().Channel.Handle;
    }

    public void Start(int remoteMaxMessageSize = 262144)
    {
        Apply("a", new DataChannelInput.Start(Now, true, remoteMaxMessageSize));
        Apply("b", new DataChannelInput.Start(Now, false, remoteMaxMessageSize));
    }

    public IEnumerable<T> Of<T>(string who) => Events[who].OfType<T>();

    public bool RunUntil(Func<bool> done, TimeSpan limit)
    {
        var end = Now + limit;
        for (var steps = 0; !done() && steps < 1_000_000; steps++)
        {
            TimeSpan? next = Net.NextAt;
            foreach (var w in _wake.Values) if (w is { } v && (next is null || v < next)) next = v;
            if (next is null || next > end) { Now = end; return done(); }
            if (next > Now) Now = next.Value;
            while (Net.TryReceive(Now, out var d)) Apply(d.To, new DataChannelInput.Received(Now, d.Payload));
            foreach (var who in new[] { "a", "b" })
                if (_wake[who] is { } w && w <= Now) { _wake[who] = null; Apply(who, new DataChannelInput.Tick(Now)); }
        }
        return done();
    }
}
