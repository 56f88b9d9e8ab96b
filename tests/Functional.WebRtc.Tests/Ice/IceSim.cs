using System.Net;
using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Ice;
using Functional.WebRtc.Testing;

namespace Functional.WebRtc.Tests.Ice;

/// <summary>
/// Runs pure ICE agents (and optional simulated servers) against each other over a <see cref="SimNetwork{TAddress,TPayload}"/>
/// in simulated time. Candidates are signaled automatically (trickle) unless <see cref="AutoSignal"/> is off.
/// Every loop is bounded by a simulated-time limit and an event count.
/// </summary>
public sealed class IceSim
{
    public sealed class Peer(string name, IceAgent agent)
    {
        public string Name { get; } = name;
        public IceAgent Agent { get; set; } = agent;
        public TimeSpan? Wake { get; set; }
        public List<(TimeSpan At, IceOutput Output)> Log { get; } = new();
        public Peer? Other { get; set; }
        public IEnumerable<IceConnectionState> States => Log.Select(l => l.Output).OfType<IceOutput.ConnectionStateChanged>().Select(c => c.State);
        public IEnumerable<IceCandidate> Gathered => Log.Select(l => l.Output).OfType<IceOutput.LocalCandidate>().Select(c => c.Candidate);
        public List<byte[]> Delivered { get; } = new();
        /// <summary>Every input applied, in order (for replay and debugging).</summary>
        public List<IceInput> Inputs { get; } = new();
    }

    /// <summary>Something else on the network (a simulated STUN/TURN server): gets datagrams, returns datagrams to send.</summary>
    public interface INode
    {
        IEnumerable<IPEndPoint> Addresses { get; }
        IEnumerable<(IPEndPoint From, IPEndPoint To, byte[] Data)> Receive(TimeSpan at, IPEndPoint local, IPEndPoint remote, byte[] data);
    }

    public SimNetwork<IPEndPoint, byte[]> Net { get; }
    public TimeSpan Now { get; private set; }
    public List<Peer> Peers { get; } = new();
    public List<INode> Nodes { get; } = new();
    public bool AutoSignal { get; set; } = true;
    public int Events { get; private set; }

    public IceSim(int seed, LinkProfile? profile = null) => Net = new SimNetwork<IPEndPoint, byte[]>(seed, profile ?? LinkProfile.Lossy(0, 1, 10));

    public static IceAgentConfig Config(string name, bool controlling) =>
        new(name + "ufrag", name + "password-0123456789", controlling) { Filter = new IceCandidateFilter(IncludeLoopback: true) };

    public Peer Add(string name, IceAgentConfig config, ulong seed)
    {
        var p = new Peer(name, IceAgent.Create(config, new Entropy(seed), Now));
        Peers.Add(p);
        return p;
    }

    /// <summary>Two agents that know each other's credentials.</summary>
    public static (IceSim Sim, Peer A, Peer B) Pair(int seed, LinkProfile? profile = null, Func<IceAgentConfig, IceAgentConfig>? configA = null,
        Func<IceAgentConfig, IceAgentConfig>? configB = null, bool bControlling = false)
    {
        var sim = new IceSim(seed, profile);
        var a = sim.Add("a", (configA ?? (c => c))(Config("a", true)), (ulong)seed * 7919 + 1);
        var b = sim.Add("b", (configB ?? (c => c))(Config("b", bControlling)), (ulong)seed * 7919 + 2);
        a.Other = b; b.Other = a;
        sim.Apply(a, new IceInput.SetRemoteCredentials(b.Agent.LocalUfrag, b.Agent.LocalPwd));
        sim.Apply(b, new IceInput.SetRemoteCredentials(a.Agent.LocalUfrag, a.Agent.LocalPwd));
        return (sim, a, b);
    }

    public void Apply(Peer p, IceInput input)
    {
        Events++;
        p.Inputs.Add(input);
        var step = IceAgent.Handle(p.Agent, input);
        p.Agent = step.State;
        foreach (var o in step.Outputs)
        {
            p.Log.Add((Now, o));
            switch (o)
            {
                case IceOutput.Transmit t: Net.Send(Now, t.From, t.To, t.Data.ToArray()); break;
                case IceOutput.WakeAt w:
                    // After a Tick everything due has been done: a wake-up at or before now would make the shell spin.
                    if (input is IceInput.Tick tick && w.At <= tick.At) throw new InvalidOperationException($"{p.Name} asked to wake at {w.At} after a Tick at {tick.At}");
                    p.Wake = w.At;
                    break;
                case IceOutput.LocalCandidate c when AutoSignal && p.Other is { } other: Apply(other, new IceInput.AddRemoteCandidate(c.Candidate)); break;
                case IceOutput.GatheringComplete when AutoSignal && p.Other is { } other: Apply(other, new IceInput.RemoteEndOfCandidates()); break;
                case IceOutput.Deliver d: p.Delivered.Add(d.Data.ToArray()); break;
            }
        }
    }

    /// <summary>Advances simulated time, delivering datagrams and ticking agents, until <paramref name="done"/> holds or the time bound.</summary>
    public bool RunUntil(Func<bool> done, TimeSpan limit, int maxEvents = 200_000)
    {
        var end = Now + limit;
        var budget = Events + maxEvents;
        while (!done())
        {
            if (Events > budget) throw new InvalidOperationException($"event budget exceeded at {Now}");
            TimeSpan? next = Net.NextAt;
            foreach (var p in Peers) if (p.Wake is { } w && (next is null || w < next)) next = w;
            if (next is null || next > end) { Now = end; return done(); }
            if (next > Now) Now = next.Value;
            while (Net.TryReceive(Now, out var d)) Deliver(d.From, d.To, d.Payload);
            foreach (var p in Peers)
                if (p.Wake is { } w && w <= Now) { p.Wake = null; Apply(p, new IceInput.Tick(Now)); }
        }
        return true;
    }

    public void RunFor(TimeSpan span) => RunUntil(() => false, span);

    /// <summary>When set, every delivery is recorded here (for debugging a failing seed).</summary>
    public List<string>? Trace { get; set; }

    private void Deliver(IPEndPoint from, IPEndPoint to, byte[] data)
    {
        Trace?.Add($"{Now} deliver {from}->{to} {data.Length}");
        foreach (var node in Nodes)
            if (node.Addresses.Contains(to))
            {
                foreach (var (f, t, d) in node.Receive(Now, to, from, data)) Net.Send(Now, f, t, d);
                return;
            }
        foreach (var p in Peers)
            if (p.Agent.Locals.Exists(l => l.Candidate.Type == IceCandidateType.Host && l.Socket.Equals(to)) || OwnsSocket(p, to))
            {
                Apply(p, new IceInput.Received(Now, to, from, data));
                return;
            }
    }

    private readonly Dictionary<IPEndPoint, Peer> _sockets = new();
    private bool OwnsSocket(Peer p, IPEndPoint ep) => _sockets.TryGetValue(ep, out var owner) && owner == p;

    /// <summary>Reports a socket to an agent (and remembers which agent owns it, for delivery).</summary>
    public void AddInterface(Peer p, IPEndPoint socket)
    {
        _sockets[socket] = p;
        Apply(p, new IceInput.AddLocalInterface(Now, socket));
    }

    public static IPEndPoint Ep(string s) => IPEndPoint.Parse(s);

    public static bool SamePair(Peer a, Peer b) =>
        a.Agent.Selected is { } x && b.Agent.Selected is { } y &&
        x.Local.Address.Equals(y.RemoteEndPoint) && y.Local.Address.Equals(x.RemoteEndPoint);

    public static bool BothConnected(Peer a, Peer b) => a.Agent.IsConnected && b.Agent.IsConnected && SamePair(a, b);
}
