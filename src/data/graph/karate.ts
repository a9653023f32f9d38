import { eye, tensor } from '../../tensor/index.js';
import { Graph } from './graph.js';

/*
 * Zachary's karate club (W. W. Zachary, "An Information Flow Model for Conflict and Fission in Small
 * Groups", Journal of Anthropological Research 33, 452-473, 1977): the 78 friendships among 34
 * members, as the upper triangle of the adjacency matrix in networkx's karate_club_graph
 * (networkx/generators/social.py, from the UCINET data file), pairs flattened.
 */
const EDGES = [
  0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8, 0, 10, 0, 11, 0, 12, 0, 13, 0, 17, 0, 19, 0, 21, 0, 31, 1, 2, 1, 3, 1, 7, 1, 13, 1, 17, 1,
  19, 1, 21, 1, 30, 2, 3, 2, 7, 2, 8, 2, 9, 2, 13, 2, 27, 2, 28, 2, 32, 3, 7, 3, 12, 3, 13, 4, 6, 4, 10, 5, 6, 5, 10, 5, 16, 6, 16, 8, 30,
  8, 32, 8, 33, 9, 33, 13, 33, 14, 32, 14, 33, 15, 32, 15, 33, 18, 32, 18, 33, 19, 33, 20, 32, 20, 33, 22, 32, 22, 33, 23, 25, 23, 27, 23,
  29, 23, 32, 23, 33, 24, 25, 24, 27, 24, 31, 25, 31, 26, 29, 26, 33, 27, 33, 28, 31, 28, 33, 29, 32, 29, 33, 30, 32, 30, 33, 31, 32, 31,
  33, 32, 33,
];

// networkx's 'club' attribute: the members who followed Mr. Hi (node 0) after the fission; the rest
// followed the Officer (node 33).
const MR_HI = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 16, 17, 19, 21];

/** The two clubs, in label order. */
export const KARATE_CLUBS = ['Mr. Hi', 'Officer'] as const;

/**
 * Zachary's karate club, built in (no download): 34 members, 78 undirected friendships, labels 0
 * ('Mr. Hi') and 1 ('Officer') for the club each member joined after the split. Features are the
 * identity (one-hot node ids, as Kipf & Welling's karate demo); `trainMask` holds the two leaders,
 * nodes 0 and 33, and `testMask` the other 32. No self-loops: call `addSelfLoops()` for GCN or GAT.
 *
 * ```ts
 * const g = nr.datasets.karateClub();
 * console.log(g.numNodes, g.numEdges / 2, g.degree().toArray()[33]); // 34 78 17
 * ```
 */
export function karateClub(): Graph {
  const sources: number[] = [];
  const targets: number[] = [];
  for (let e = 0; e < EDGES.length; e += 2) {
    sources.push(EDGES[e]!);
    targets.push(EDGES[e + 1]!);
  }
  const labels = Array.from({ length: 34 }, (_, i) => (MR_HI.includes(i) ? 0 : 1));
  const train = Array.from({ length: 34 }, (_, i) => i === 0 || i === 33);
  return Graph.fromEdges([Int32Array.from(sources), Int32Array.from(targets)], {
    numNodes: 34,
    undirected: true,
    x: eye(34),
    labels: tensor(labels, [34], 'int32'),
    trainMask: tensor(train.map(Number), [34], 'bool'),
    testMask: tensor(
      train.map((t) => Number(!t)),
      [34],
      'bool',
    ),
  });
}
