using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Ice;
using Functional.WebRtc.Core.Stun;
using LanguageExt;

namespace Functional.WebRtc.Tests.Ice;

/// <summary>A fact that is skipped, with a clear reason, when coturn's turnserver is not installed.</summary>
public sealed class CoturnFactAttribute : FactAttribute
{
    public const string Path = "/usr/bin/turnserver";
    public CoturnFactAttribute()
    {
        if (!File.Exists(Path)) Skip = $"coturn is not installed ({Path} missing): the real-TURN tests need it";
    }
}

/// <summary>Starts a coturn turnserver on 127.0.0.1 (a free port, loopback relays, user test:test) and kills it on Dispose.</summary>
public sealed class CoturnServer : IDisposable
{
    public IPEndPoint Address { get; }
    private readonly Process? _process;
    private readonly string _pidFile;

    public CoturnServer()
    {
        var port = FreeUdpPort();
        Address = new IPEndPoint(IPAddress.Loopback, port);
        var minPort = 20000 + (port % 400) * 100;
        _pidFile = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"ice-coturn-{port}.pid");
        if (!File.Exists(CoturnFactAttribute.Path)) return;
        var args = $"-n --listening-ip=127.0.0.1 --relay-ip=127.0.0.1 --listening-port={port} --lt-cred-mech --user=test:test --realm=test " +
                   $"--fingerprint --no-tls --no-dtls --no-cli --allow-loopback-peers --no-multicast-peers --min-port={minPort} --max-port={minPort + 99} " +
                   $"--pidfile={_pidFile} --log-file=stdout";
        var psi = new ProcessStartInfo(CoturnFactAttribute.Path, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        WaitUntilAnswering();
    }

    private static int FreeUdpPort()
    {
        using var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
    }

    /// <summary>Sends STUN Binding requests until coturn answers (at most ~5 s).</summary>
    private void WaitUntilAnswering()
    {
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        udp.Client.ReceiveTimeout = 100;
        var request = StunMessage.Create(StunClass.Request, StunMethod.Binding, new TransactionId(42, 42)).Encode(fingerprint: true);
        for (var i = 0; i < 50; i++)
        {
            udp.Send(request, request.Length, Address);
            try
            {
                IPEndPoint? from = null;
                udp.Receive(ref from);
                return;
            }
            catch (SocketException) { }
        }
        throw new InvalidOperationException("coturn did not answer a STUN Binding request within 5 s");
    }

    public void Dispose()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        _process?.Dispose();
        try { File.Delete(_pidFile); } catch (IOException) { }
    }
}

/// <summary>Drives pure agents with real UDP sockets bound to 127.0.0.1 (and sends only to 127.0.0.1).</summary>
public sealed class UdpDriver : IDisposable
{
    public sealed class Agent
    {
        public required string Name;
        public required IceAgent State;
        public required UdpClient Socket;
        public IPEndPoint Local => (IPEndPoint)Socket.Client.LocalEndPoint!;
        public TimeSpan? Wake;
        public Agent? Other;
        public readonly List<IceOutput> Log = new();
        public readonly List<byte[]> Delivered = new();
        public IEnumerable<IceCandidate> Gathered => Log.OfType<IceOutput.LocalCandidate>().Select(c => c.Candidate);
    }

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    public List<Agent> Agents { get; } = new();
    public TimeSpan Now => _clock.Elapsed;

    public Agent Add(string name, IceAgentConfig config, ulong seed)
    {
        var socket = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var agent = new Agent { Name = name, State = IceAgent.Create(config, new Entropy(seed), Now), Socket = socket };
        Agents.Add(agent);
        Apply(agent, new IceInput.AddLocalInterface(Now, agent.Local));
        return agent;
    }

    public void Apply(Agent a, IceInput input)
    {
        var step = IceAgent.Handle(a.State, input);
        a.State = step.State;
        foreach (var o in step.Outputs)
        {
            a.Log.Add(o);
            switch (o)
            {
                case IceOutput.Transmit t:
                    if (!IPAddress.IsLoopback(t.To.Address)) throw new InvalidOperationException($"refusing to send to {t.To}: tests send only to 127.0.0.1");
                    a.Socket.Send(t.Data.ToArray(), t.Data.Length, t.To);
                    break;
                case IceOutput.WakeAt w: a.Wake = w.At; break;
                case IceOutput.LocalCandidate c when a.Other is { } other: Apply(other, new IceInput.AddRemoteCandidate(c.Candidate)); break;
                case IceOutput.GatheringComplete when a.Other is { } other: Apply(other, new IceInput.RemoteEndOfCandidates()); break;
                case IceOutput.Deliver d: a.Delivered.Add(d.Data.ToArray()); break;
            }
        }
    }

    public bool RunUntil(Func<bool> done, TimeSpan limit)
    {
        var end = Now + limit;
        while (!done())
        {
            if (Now > end) return false;
            var idle = true;
            foreach (var a in Agents)
            {
                while (a.Socket.Available > 0)
                {
                    IPEndPoint? from = null;
                    var data = a.Socket.Receive(ref from);
                    Apply(a, new IceInput.Received(Now, a.Local, from!, data));
                    idle = false;
                }
                if (a.Wake is { } w && w <= Now) { a.Wake = null; Apply(a, new IceInput.Tick(Now)); idle = false; }
            }
            if (idle) Thread.Sleep(2);
        }
        return true;
    }

    public void Dispose()
    {
        foreach (var a in Agents)
        {
            if (a.State.State != IceConnectionState.Closed) Apply(a, new IceInput.Close());
            a.Socket.Dispose();
        }
    }
}

public sealed class CoturnTests(CoturnServer coturn) : IClassFixture<CoturnServer>
{
    private IceAgentConfig Config(string name, bool controlling, IceTransportPolicy policy) =>
        new(name + "ufrag", name + "password-0123456789", controlling)
        {
            Filter = new IceCandidateFilter(IncludeLoopback: true, KeepRedundantServerReflexive: true),
            StunServers = Seq.create(coturn.Address),
            TurnServers = Seq.create(new TurnServer(coturn.Address, "test", "test")),
            Policy = policy,
        };

    [CoturnFact]
    public void GathersServerReflexiveAndRelayedCandidatesFromCoturn()
    {
        using var driver = new UdpDriver();
        var a = driver.Add("a", Config("a", true, IceTransportPolicy.All), 1);
        Assert.True(driver.RunUntil(() => a.State.GatheringState == IceGatheringState.Complete, TimeSpan.FromSeconds(10)), "gathering did not complete");
        var srflx = Assert.Single(a.Gathered, c => c.Type == IceCandidateType.Srflx);
        // On loopback there is no NAT: the reflexive address is the socket's own (kept here by KeepRedundantServerReflexive).
        Assert.Equal(a.Local, srflx.EndPoint);
        var relay = Assert.Single(a.Gathered, c => c.Type == IceCandidateType.Relay);
        Assert.Equal("127.0.0.1", relay.Address);
        Assert.NotEqual(a.Local.Port, relay.Port);
        Assert.Equal(TurnAllocationState.Allocated, a.State.Allocations.Single().State);
    }

    [CoturnFact]
    public void TwoRelayOnlyAgentsConnectThroughCoturn()
    {
        using var driver = new UdpDriver();
        var a = driver.Add("a", Config("a", true, IceTransportPolicy.Relay), 11);
        var b = driver.Add("b", Config("b", false, IceTransportPolicy.Relay), 12);
        a.Other = b; b.Other = a;
        driver.Apply(a, new IceInput.SetRemoteCredentials(b.State.LocalUfrag, b.State.LocalPwd));
        driver.Apply(b, new IceInput.SetRemoteCredentials(a.State.LocalUfrag, a.State.LocalPwd));
        // Candidates gathered before the peers were linked are signaled now.
        foreach (var c in a.Gathered.ToList()) driver.Apply(b, new IceInput.AddRemoteCandidate(c));
        foreach (var c in b.Gathered.ToList()) driver.Apply(a, new IceInput.AddRemoteCandidate(c));
        Assert.True(driver.RunUntil(() => a.State.IsConnected && b.State.IsConnected, TimeSpan.FromSeconds(15)),
            $"not connected: a={a.State.State} b={b.State.State}");
        Assert.Equal(IceCandidateType.Relay, a.State.Selected!.Local.Candidate.Type);
        Assert.Equal(IceCandidateType.Relay, b.State.Selected!.Local.Candidate.Type);
        Assert.All(a.Log.Concat(b.Log).OfType<IceOutput.Transmit>(), t => Assert.Equal(coturn.Address, t.To));
        // Application data both ways through the relay (Send indication or ChannelData), unwrapped by the agents.
        Assert.True(driver.RunUntil(() => a.State.Allocations.Single().Channels.Count > 0 && b.State.Allocations.Single().Channels.Count > 0, TimeSpan.FromSeconds(5)));
        driver.Apply(a, new IceInput.Send(new byte[] { 23, 1, 2, 3 }));
        driver.Apply(b, new IceInput.Send(new byte[] { 23, 4, 5, 6 }));
        Assert.True(driver.RunUntil(() => a.Delivered.Count > 0 && b.Delivered.Count > 0, TimeSpan.FromSeconds(5)));
        Assert.Equal(new byte[] { 23, 1, 2, 3 }, b.Delivered[0]);
        Assert.Equal(new byte[] { 23, 4, 5, 6 }, a.Delivered[0]);
    }
}
