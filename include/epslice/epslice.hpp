// SPDX-License-Identifier: Apache-2.0
// Umbrella header: includes every public header of epslice.
#pragma once

#include "address.hpp"
#include "error.hpp"
#include "types.hpp"
