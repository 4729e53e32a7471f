// A minimal stand-in for the few UnityEngine types the seed's CameraPositionSender.cs touches, so
// that the sample compiles and runs under plain Mono. It is not Unity: coroutines are stepped by
// the test (StandIn.Step) and WaitForSeconds is scaled by StandIn.WaitScale.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace UnityEngine
{
    public struct Vector3
    {
        public float x, y, z;
        public Vector3(float x, float y, float z) { this.x = x; this.y = y; this.z = z; }
    }

    public class Transform
    {
        public Vector3 position;
    }

    public partial class Object { }

    public class Component : Object
    {
        private readonly Transform t = new Transform();
        public Transform transform { get { return t; } }
    }

    public class Behaviour : Component { }

    public class Coroutine
    {
        internal IEnumerator Routine;
        internal DateTime ResumeAt;
    }

    public class YieldInstruction { }

    public sealed class WaitForSeconds : YieldInstruction
    {
        public readonly float Seconds;
        public WaitForSeconds(float seconds) { Seconds = seconds; }
    }

    public class MonoBehaviour : Behaviour
    {
        internal readonly List<Coroutine> Coroutines = new List<Coroutine>();

        public Coroutine StartCoroutine(IEnumerator routine)
        {
            var c = new Coroutine { Routine = routine, ResumeAt = DateTime.MinValue };
            Coroutines.Add(c);
            return c;
        }
    }

    public static class Debug
    {
        public static readonly List<string> Lines = new List<string>();

        public static void Log(object message) { lock (Lines) Lines.Add(Convert.ToString(message, CultureInfo.InvariantCulture)); }
        public static void LogWarning(object message) { lock (Lines) Lines.Add("warning: " + Convert.ToString(message, CultureInfo.InvariantCulture)); }
        public static void LogError(object message) { lock (Lines) Lines.Add("error: " + Convert.ToString(message, CultureInfo.InvariantCulture)); }
        public static void LogException(Exception e) { lock (Lines) Lines.Add("exception: " + e); }
    }

    public static class JsonUtility
    {
        /// <summary>Public instance fields as a flat JSON object (numbers and strings only).</summary>
        public static string ToJson(object obj)
        {
            var sb = new StringBuilder("{");
            bool first = true;
            foreach (var f in obj.GetType().GetFields(BindingFlags.Public | BindingFlags.Instance))
            {
                if (!first) sb.Append(',');
                first = false;
                sb.Append('"').Append(f.Name).Append("\":");
                var v = f.GetValue(obj);
                if (v is string) sb.Append('"').Append(((string)v).Replace("\\", "\\\\").Replace("\"", "\\\"")).Append('"');
                else sb.Append(Convert.ToString(v, CultureInfo.InvariantCulture));
            }
            return sb.Append('}').ToString();
        }
    }

    /// <summary>What the Unity player loop would do, driven by the test.</summary>
    public static class StandIn
    {
        /// <summary>Multiplies every WaitForSeconds (0.01 turns the seed's 0.1 s into 1 ms).</summary>
        public static float WaitScale = 1f;

        /// <summary>Calls a Unity message (Start, OnDestroy, ...) the way the engine does: by name, even if private.</summary>
        public static void Send(MonoBehaviour b, string message)
        {
            var m = b.GetType().GetMethod(message, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
            if (m != null) m.Invoke(b, null);
        }

        /// <summary>Resumes the coroutines of <paramref name="b"/> whose wait is over; returns how many ran.</summary>
        public static int Step(MonoBehaviour b)
        {
            int ran = 0;
            var now = DateTime.UtcNow;
            foreach (var c in b.Coroutines.ToArray())
            {
                if (c.ResumeAt > now) continue;
                ran++;
                if (!c.Routine.MoveNext())
                {
                    b.Coroutines.Remove(c);
                    continue;
                }
                var w = c.Routine.Current as WaitForSeconds;
                c.ResumeAt = w == null ? now : now.AddSeconds(w.Seconds * WaitScale);
            }
            return ran;
        }
    }
}
