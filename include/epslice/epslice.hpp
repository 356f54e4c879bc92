// SPDX-License-Identifier: Apache-2.0
// Umbrella header: includes every public header of epslice.
#pragma once

#include "address.hpp"
#include "address_list.hpp"
#include "convert.hpp"
#include "document.hpp"
#include "envoy.hpp"
#include "error.hpp"
#include "json.hpp"
#include "merge.hpp"
#include "pod.hpp"
#include "reconcile.hpp"
#include "reconcile_types.hpp"
#include "simulate.hpp"
#include "sizes.hpp"
#include "slice_planner.hpp"
#include "store.hpp"
#include "stream.hpp"
#include "time.hpp"
#include "topology.hpp"
#include "types.hpp"
#include "validation.hpp"
