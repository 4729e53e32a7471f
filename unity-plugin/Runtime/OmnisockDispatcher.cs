#if UNITY_5_3_OR_NEWER
using System.Threading;
using UnityEngine;

namespace Omnisock
{
    /// <summary>
    /// Raises the events of every WebSocket and Hub in Update(), on Unity's main thread. Created on
    /// demand (hidden, DontDestroyOnLoad) the first time a WebSocket or Hub is made on the main
    /// thread; you never add it yourself. On application quit every connection is dropped.
    /// </summary>
    [DefaultExecutionOrder(-1000)]
    [AddComponentMenu("")]
    public sealed class OmnisockDispatcher : MonoBehaviour
    {
        private static OmnisockDispatcher instance;
        private static int mainThreadId = -1;

        [RuntimeInitializeOnLoadMethod(RuntimeInitializeLoadType.BeforeSceneLoad)]
        private static void Init()
        {
            mainThreadId = Thread.CurrentThread.ManagedThreadId;
        }

        /// <summary>Creates the dispatcher if it does not exist and this is the main thread.</summary>
        internal static void EnsureCreated()
        {
            if (instance != null || !Application.isPlaying) return;
            if (mainThreadId != -1 && Thread.CurrentThread.ManagedThreadId != mainThreadId) return;
            var go = new GameObject("OmnisockDispatcher");
            go.hideFlags = HideFlags.HideAndDontSave;
            DontDestroyOnLoad(go);
            instance = go.AddComponent<OmnisockDispatcher>();
        }

        private void Update()
        {
            Dispatcher.DispatchAll();
        }

        private void OnApplicationQuit()
        {
            // The native library stays loaded in the Editor after play mode: leave nothing running.
            // (omnisock_runtime_shutdown is deliberately not called: it cannot be undone, and the
            // next play session in the same Editor process needs the runtime.)
            Dispatcher.AbortAll();
        }

        private void OnDestroy()
        {
            if (instance == this) instance = null;
        }
    }
}
#endif
